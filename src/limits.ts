// Size limits of a checked model, shared by the checker's modules (and by any later stage that
// wants to name them). A leaf module: it imports nothing, so any stage may import it without
// creating a cycle.

/** Sizes above these are refused before anything is allocated. */
export const LIMITS = { vocab: 100_000, channels: 4096, context: 8192, layers: 1000, headsTimesDim: 4096, tableEntries: 50_000_000 };
