package dev.spinneret.selection;

import java.util.List;

/** Pools to try for one interface and family, in order, and why every other named pool was left out. */
public record Candidates(List<String> pools, List<String> rejected) {
}
