package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class AutoPoolAnnotationsTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ipam.spidernet.io/subnet|{\"interface\":\"eth0\",\"ipv4\":[\"s4\"],\"ipv6\":[\"s6\"]}",
            "ipam.spidernet.io/subnet|{\"ipv4\":[\"s4\"]}",
            "ipam.spidernet.io/subnets|[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},{\"interface\":\"net1\",\"ipv4\":[\"b\"]}]",
            "ipam.spidernet.io/ippool-ip-number|5", "ipam.spidernet.io/ippool-ip-number|+2",
            "ipam.spidernet.io/ippool-reclaim|false", "ipam.spidernet.io/ippool-reclaim|true" })
    void wellFormedValuesPass(String key, String value) {
        assertDoesNotThrow(() -> AutoPoolAnnotations.check(Map.of(key, value)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ipam.spidernet.io/subnet|nginx-subnet-v4", "ipam.spidernet.io/subnet|{\"ipv4\":\"s4\"}",
            "ipam.spidernet.io/subnet|{\"interface\":\"eth0\"}", "ipam.spidernet.io/subnet|{\"ipv4\":[\"s*\"]}",
            "ipam.spidernet.io/subnet|[]", "ipam.spidernet.io/subnets|{}",
            "ipam.spidernet.io/subnets|[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},{\"interface\":\"eth0\",\"ipv4\":[\"b\"]}]",
            "ipam.spidernet.io/subnets|[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},{\"interface\":\"net1\",\"ipv4\":[\"a\"]}]",
            "ipam.spidernet.io/ippool-ip-number|++2", "ipam.spidernet.io/ippool-ip-number|-1",
            "ipam.spidernet.io/ippool-ip-number|two", "ipam.spidernet.io/ippool-ip-number|2+",
            "ipam.spidernet.io/ippool-reclaim|yes" })
    void malformedValuesAreRefusedQuotingThem(String key, String value) {
        var e = assertThrows(AnnotationException.class, () -> AutoPoolAnnotations.check(Map.of(key, value)));
        assertTrue(e.getMessage().contains(key) && e.getMessage().contains("'" + value + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " " })
    void emptyIpNumberIsRefused(String value) {
        assertThrows(AnnotationException.class,
                () -> AutoPoolAnnotations.check(Map.of(AutoPoolAnnotations.IP_NUMBER, value)));
    }
}
