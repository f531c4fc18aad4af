# numpy prototype of the hand-wired SCAN decoder (examples/scan/scan.hw is its port).
# Runs the circuit teacher-forced on every command (prompt + gold actions + EOS): if every position
# predicts the next gold token, greedy decoding reproduces the gold exactly. Prints exact-match
# counts and the smallest logit margin, in float64 and float32.
import gzip
import sys
import numpy as np

WORDS = ["walk", "run", "jump", "look", "turn", "left", "right", "around", "opposite",
         "and", "after", "twice", "thrice"]
ACTIONS = ["I_WALK", "I_RUN", "I_JUMP", "I_LOOK", "I_TURN_LEFT", "I_TURN_RIGHT"]
VOCAB = WORDS + ["SEP"] + ACTIONS + ["EOS"]
TOK = {t: i for i, t in enumerate(VOCAB)}

# residual channels
FEATS = ["walk", "run", "jump", "look", "turn", "left", "right", "around", "opposite",
         "and", "after", "twice", "thrice", "sep"]
CH = FEATS + ["pos", "right_side", "side", "sep_pos",
              "g_turn", "g_dir", "g_opp", "g_around", "g_twice", "g_thrice",
              "len", "offset", "consumed",
              "c_walk", "c_run", "c_jump", "c_look", "c_turn", "c_left", "c_right", "c_opp", "c_around",
              "is_u", "done"]
C = {c: i for i, c in enumerate(CH)}
D = len(CH)

SHARP = 30.0     # attention score unit
BIG = 64.0       # gate: more than any count the ReLUs compare
GAIN = 2.0       # logit scale


def vec(**kw):
    v = np.zeros(D)
    for k, x in kw.items():
        v[C[k]] = x
    return v


def embed_row(t):
    name = VOCAB[t]
    v = np.zeros(D)
    if name in WORDS:
        v[C[name]] = 1
    if name == "SEP":
        v[C["sep"]] = 1
    return v


def softmax_attend(X, q, k, v):
    # X [B, T, D]; q, k: functions of X -> [B, T, dim]; v -> [B, T, vd]
    Q, K, V = q(X), k(X), v(X)
    s = np.einsum("btd,bsd->bts", Q, K)
    T = X.shape[1]
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    s = np.where(mask, -np.inf, s)
    s = s - s.max(-1, keepdims=True)
    w = np.exp(s)
    w = w / w.sum(-1, keepdims=True)
    return np.einsum("bts,bsv->btv", w, V)


def ch(X, name):
    return X[..., C[name]]


relu = lambda z: np.maximum(z, 0)


def layer_conj_sep(X):
    # head 0: is there an `and`/`after` at or before this position? value: [and + after, after]
    one = np.ones_like(ch(X, "pos"))
    o0 = softmax_attend(X, lambda X: (SHARP * one)[..., None],
                        lambda X: (ch(X, "and") + ch(X, "after"))[..., None],
                        lambda X: np.stack([ch(X, "and") + ch(X, "after"), ch(X, "after")], -1))
    # head 1: where is SEP? value: its position
    o1 = softmax_attend(X, lambda X: (SHARP * one)[..., None],
                        lambda X: ch(X, "sep")[..., None],
                        lambda X: ch(X, "pos")[..., None])
    X = X.copy()
    X[..., C["right_side"]] += o0[..., 0]
    X[..., C["side"]] += o0[..., 1]
    X[..., C["sep_pos"]] += o1[..., 0]
    return X


def read_clause(X, classes):
    """One sharp head per word class: finds that class's word in the clause on side `side`.
    classes: list of (key formula, value formula list)."""
    q = lambda X: np.stack([SHARP * np.ones_like(ch(X, "side")), SHARP * (2 * ch(X, "side") - 1)], -1)
    outs = []
    for key, vals in classes:
        k = lambda X, key=key: np.stack([key(X), 2 * ch(X, "right_side") - 1], -1)
        v = lambda X, vals=vals: np.stack([f(X) for f in vals], -1)
        outs.append(softmax_attend(X, q, k, v))
    return outs


def verb(X):
    return ch(X, "walk") + ch(X, "run") + ch(X, "jump") + ch(X, "look") + ch(X, "turn")


def dirn(X):
    return ch(X, "left") + ch(X, "right")


def modf(X):
    return ch(X, "opposite") + ch(X, "around")


def rep(X):
    return ch(X, "twice") + ch(X, "thrice")


G_CH = ["g_turn", "g_dir", "g_opp", "g_around", "g_twice", "g_thrice"]


def layer_step(X):
    X = X.copy()
    # attention: the clause's length-relevant words
    outs = read_clause(X, [
        (verb, [lambda X: ch(X, "turn")]),
        (dirn, [dirn]),
        (modf, [lambda X: ch(X, "opposite"), lambda X: ch(X, "around")]),
        (rep, [lambda X: ch(X, "twice"), lambda X: ch(X, "thrice")]),
    ])
    X[..., C["g_turn"]] += outs[0][..., 0]
    X[..., C["g_dir"]] += outs[1][..., 0]
    X[..., C["g_opp"]] += outs[2][..., 0]
    X[..., C["g_around"]] += outs[2][..., 1]
    X[..., C["g_twice"]] += outs[3][..., 0]
    X[..., C["g_thrice"]] += outs[3][..., 1]
    # mlp 1: the clause's length; clears the g channels for the next pass
    turn, dr, opp, aro, tw, th = (ch(X, c) for c in G_CH)
    u0 = 1 + dr + opp + 6 * aro - turn          # unit length, before the turn-around correction
    h = [relu(u0), relu(turn + aro - 1),
         relu(u0 + BIG * tw - BIG), relu(turn + aro + tw - 2),
         relu(u0 + BIG * th - BIG), relu(turn + aro + th - 2)]
    clear = [relu(ch(X, c)) for c in G_CH]
    X[..., C["len"]] += h[0] - 3 * h[1] + h[2] - 3 * h[3] + 2 * h[4] - 6 * h[5]
    for c, hc in zip(G_CH, clear):
        X[..., C[c]] -= hc
    # mlp 2: has this step gone past the clause? then move on: offset += len, consumed += 1, side flips
    x = ch(X, "pos") - ch(X, "sep_pos") - ch(X, "offset") - ch(X, "len")
    L, s = ch(X, "len"), ch(X, "side")
    a1, a0 = relu(x + 1), relu(x)
    o1, o0 = relu(L + BIG * x), relu(BIG * x)
    s1, s0 = relu(x + 1 - BIG * s), relu(x - BIG * s)
    t1, t0 = relu(x + 1 - BIG * (1 - s)), relu(x - BIG * (1 - s))
    lc = relu(L)
    X[..., C["offset"]] += o1 - o0
    X[..., C["consumed"]] += a1 - a0
    X[..., C["side"]] += (s1 - s0) - (t1 - t0)
    X[..., C["len"]] -= lc
    return X


ODD_COEF = [1] + [(-2 if m % 2 else 2) for m in range(1, 24)] + [1]   # Σ of hats at 1, 3, .., 23


def layer_action(X):
    X = X.copy()
    outs = read_clause(X, [
        (verb, [lambda X, w=w: ch(X, w) for w in ["walk", "run", "jump", "look", "turn"]]),
        (dirn, [lambda X: ch(X, "left"), lambda X: ch(X, "right")]),
        (modf, [lambda X: ch(X, "opposite"), lambda X: ch(X, "around")]),
    ])
    for i, w in enumerate(["walk", "run", "jump", "look", "turn"]):
        X[..., C["c_" + w]] += outs[0][..., i]
    X[..., C["c_left"]] += outs[1][..., 0]
    X[..., C["c_right"]] += outs[1][..., 1]
    X[..., C["c_opp"]] += outs[2][..., 0]
    X[..., C["c_around"]] += outs[2][..., 1]
    t = ch(X, "pos") - ch(X, "sep_pos") - ch(X, "offset")
    dr = ch(X, "c_left") + ch(X, "c_right")
    opp, turn = ch(X, "c_opp"), ch(X, "c_turn")
    v = ch(X, "consumed") - ch(X, "right_side")
    done = relu(v) - relu(v - 1)
    plain = relu(1 - dr)
    alt_gate = BIG * (1 - (dr - opp - turn))      # [T, U] repeated: U at odd steps
    alt = sum(c * relu(t - m - alt_gate) for m, c in enumerate(ODD_COEF))
    opp_gate = BIG * (1 - (opp - turn))           # [T, T, U]: U at steps 2, 5, 8
    third = sum(relu(t - (m - 1) - opp_gate) - 2 * relu(t - m - opp_gate) + relu(t - (m + 1) - opp_gate)
                for m in (2, 5, 8))
    X[..., C["is_u"]] += plain + alt + third
    X[..., C["done"]] += done
    return X


def head(X):
    out = np.full(X.shape[:-1] + (len(VOCAB),), -np.inf)
    u, done = ch(X, "is_u"), ch(X, "done")
    for i, w in enumerate(["walk", "run", "jump", "look"]):
        out[..., TOK[ACTIONS[i]]] = GAIN * (ch(X, "c_" + w) + u - 1 - 2 * done)
    out[..., TOK["I_TURN_LEFT"]] = GAIN * (ch(X, "c_left") - u - 2 * done)
    out[..., TOK["I_TURN_RIGHT"]] = GAIN * (ch(X, "c_right") - u - 2 * done)
    out[..., TOK["EOS"]] = GAIN * (2 * done - 1)
    return out


def forward(ids, dtype):
    B, T = ids.shape
    E = np.stack([embed_row(t) for t in range(len(VOCAB))])
    X = E[ids] + np.arange(T)[None, :, None] * vec(pos=1)[None, None, :]
    X = X.astype(dtype)
    X = layer_conj_sep(X)
    for _ in range(2):
        X = layer_step(X)
    X = layer_action(X)
    return head(X)


def load(path):
    op = gzip.open if path.endswith(".gz") else open
    out = []
    with op(path, "rt") as f:
        for line in f:
            cmd, act = line.strip()[4:].split(" OUT: ")
            out.append((cmd.split(), act.split()))
    return out


def evaluate(pairs, dtype):
    by_len = {}
    for cmd, act in pairs:
        seq = [TOK[w] for w in cmd] + [TOK["SEP"]] + [TOK[a] for a in act] + [TOK["EOS"]]
        by_len.setdefault(len(seq), []).append((seq, len(cmd)))
    ok, total, worst = 0, 0, np.inf
    for T, group in by_len.items():
        ids = np.array([s for s, _ in group])
        logits = forward(ids, dtype).astype(np.float64)
        for b, (seq, n) in enumerate(group):
            lo = logits[b, n:T - 1]           # predictions at SEP .. last action
            gold = np.array(seq[n + 1:])
            pred = lo.argmax(-1)
            srt = np.sort(lo, -1)
            worst = min(worst, (srt[:, -1] - srt[:, -2]).min())
            ok += bool((pred == gold).all())
            total += 1
    return ok, total, worst


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "/work/wt-scan/examples/scan/data/tasks.txt.gz"
    pairs = load(path)
    for dt in (np.float64, np.float32):
        ok, total, worst = evaluate(pairs, dt)
        print(f"{np.dtype(dt).name}: {ok}/{total} exact, smallest margin {worst:.6f}")
