package dev.spinneret.cni.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void parsesAllValueKinds() throws Exception {
        Map<String, Object> m = Json.parseObject(" {\"a\":1,\"b\":-2.5e1,\"c\":\"x\\n\\u00e9\\\"\",\"d\":[true,false,null],\"e\":{}} ");
        assertEquals(1L, m.get("a"));
        assertEquals(-25.0, m.get("b"));
        assertEquals("x\né\"", m.get("c"));
        assertEquals(List.of(true, false), ((List<?>) m.get("d")).subList(0, 2));
        assertNull(((List<?>) m.get("d")).get(2));
        assertEquals(Map.of(), m.get("e"));
    }

    @Test
    void roundTripsAndEscapes() throws Exception {
        String s = "{\"k\":\"a\\\"b\\\\c\\u0001\",\"n\":12,\"l\":[1,\"x\"],\"o\":{\"z\":null}}";
        assertEquals(s, Json.write(Json.parse(s)));
    }

    @Test
    void rejectsMalformedInputWithPosition() {
        for (String bad : new String[]{"", "{", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "tru", "\"abc", "{\"a\":01}", "1 2", "{a:1}", "\"\\x\"", "-", "1.", "1e"}) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().length() > 5, bad);
        }
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\": ?\n}"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void navigation() throws Exception {
        Object o = Json.parse("{\"metadata\":{\"uid\":\"u\",\"labels\":{\"x\":\"y\"}}}");
        assertEquals("u", Json.str(o, "metadata", "uid"));
        assertNull(Json.str(o, "metadata", "nope", "deeper"));
        assertEquals("y", Json.map(o, "metadata", "labels").get("x"));
    }
}
