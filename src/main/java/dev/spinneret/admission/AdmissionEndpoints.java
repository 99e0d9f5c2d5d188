package dev.spinneret.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.HashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * All admission webhooks: {@code POST /admission/{webhook}} with an AdmissionReview. The resource only parses,
 * delegates to the {@link NamedAdmissionHandler} of that name and renders; it never answers with HTTP 500.
 */
@Path("/admission")
public class AdmissionEndpoints {
    private static final Logger LOG = Logger.getLogger(AdmissionEndpoints.class);

    private final AdmissionCodec codec;
    private final Map<String, NamedAdmissionHandler> handlers = new HashMap<>();
    private final MeterRegistry meters;

    @Inject
    public AdmissionEndpoints(ObjectMapper mapper, Instance<NamedAdmissionHandler> all, MeterRegistry meters) {
        this.codec = new AdmissionCodec(mapper);
        this.meters = meters;
        for (NamedAdmissionHandler h : all) {
            handlers.put(h.webhookName(), h);
        }
    }

    @POST
    @Path("/{webhook}")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public ObjectNode review(@PathParam("webhook") String webhook, byte[] body) {
        long start = System.nanoTime();
        String outcomeTag = "allowed";
        try {
            AdmissionCodec.Parsed parsed;
            try {
                parsed = codec.parse(body);
            } catch (AdmissionCodec.MalformedReview e) {
                outcomeTag = "malformed";
                return codec.malformed(e);
            }
            AdmissionRequest req = parsed.request();
            NamedAdmissionHandler handler = handlers.get(webhook);
            AdmissionOutcome outcome;
            if (handler == null) {
                outcome = AdmissionOutcome.deny(new AdmissionDenied(404, "NotFound",
                        "no Spinneret webhook is served at /admission/" + webhook + "; known: "
                                + new java.util.TreeSet<>(handlers.keySet())));
            } else {
                try {
                    outcome = handler.handle(req);
                } catch (AdmissionDenied d) {
                    outcome = AdmissionOutcome.deny(d);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "webhook %s failed on %s %s/%s (uid %s)", webhook, req.operation(),
                            req.namespace(), req.name(), req.uid());
                    outcome = AdmissionOutcome.deny(new AdmissionDenied(500, "InternalError",
                            "Spinneret could not process this request: " + e.getClass().getSimpleName() + ": "
                                    + e.getMessage() + " (see the service log; the request changed nothing)"));
                }
            }
            if (!outcome.allowed()) {
                outcomeTag = outcome.reason() == null ? "denied" : outcome.reason();
            }
            return codec.response(parsed.apiVersion(), req.uid(), outcome, req.object());
        } finally {
            Timer.builder("spinneret.admission.duration")
                    .description("Time to answer an admission request")
                    .tag("webhook", webhook.length() > 40 ? "unknown" : webhook)
                    .tag("outcome", outcomeTag)
                    .publishPercentileHistogram()
                    .register(meters)
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }
}
