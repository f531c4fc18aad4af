// Size limits of a checked model, shared by the checker's modules (and by any later stage that
// wants to name them). A leaf module: it imports nothing, so any stage may import it without
// creating a cycle.

/** Sizes above these are refused before anything is allocated. */
export const LIMITS = { vocab: 100_000, channels: 4096, context: 8192, layers: 1000, headsTimesDim: 4096, tableEntries: 50_000_000, lengthTableEntries: 4_200_000 };
// lengthTableEntries: a score bias that reads N is staged as several float64 tables over head × query
// × key (one per part of the formula that does not read N) and the parameter audit logs every
// entry: at 16.7 million points (1 head, context 4096) that took 74 s and 2.2 GB. 4.2 million
// points keep context 2048 for one head.
