#!/usr/bin/env python3
# Runs a compiled maze solver (`handwire compile examples/maze/maze.hw`) with Python's onnxruntime
# over a maze dataset file (`npx tsx scripts/maze.ts --count N`) and checks every cell's label
# against a breadth-first search written here (a third one, independent of the generator's and of
# test/maze.test.ts's), then prints mazes/s. For a machine without Node.js but with Python's
# onnxruntime and numpy (the device machine of docs/recursion.md's 1,000-maze run).
#   python3 scripts/maze-ort.py MAZES.txt MODEL.onnx [MODEL.f64.onnx ...] [--batch 16] [--threads 0]
import collections
import sys
import time

import numpy as np
import onnxruntime as ort

VOCAB = ["W", ".", "S", "G", "_", "*"]
W = 30


def labels_by_search(cells):
    def bfs(start):
        dist = [-1] * (W * W)
        dist[start] = 0
        queue = collections.deque([start])
        while queue:
            i = queue.popleft()
            r, c = divmod(i, W)
            for a, b in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                j = a * W + b
                if 0 <= a < W and 0 <= b < W and cells[j] != "W" and dist[j] < 0:
                    dist[j] = dist[i] + 1
                    queue.append(j)
        return dist

    ds, dg = bfs(cells.index("S")), bfs(cells.index("G"))
    d = ds[cells.index("G")]
    return ["*" if d >= 0 and ds[i] >= 0 and dg[i] >= 0 and ds[i] + dg[i] == d else "_" for i in range(W * W)], d


def main(argv):
    opts = {"--batch": 16, "--threads": 0}
    rest = []
    it = iter(argv)
    for a in it:
        if a in opts:
            opts[a] = int(next(it))
        else:
            rest.append(a)
    data, models = rest[0], rest[1:]
    mazes = []
    for line in open(data):
        if not line.strip() or line.startswith("#"):
            continue
        left, right = line.split("->")
        cells, given = left.split(), right.split()
        want, steps = labels_by_search(cells)
        assert given == want, f"the file's labels of maze {len(mazes) + 1} are not the search's"
        mazes.append((cells, want, steps))
    steps = [s for _, _, s in mazes]
    print(f"{len(mazes)} mazes from {data}; shortest path {min(steps)}..{max(steps)} steps; file labels = search labels")
    ids = np.array([[VOCAB.index(t) for t in cells] for cells, _, _ in mazes], dtype=np.int64)
    want = np.array([[VOCAB.index(t) for t in w] for _, w, _ in mazes], dtype=np.int64)
    so = ort.SessionOptions()
    so.intra_op_num_threads = opts["--threads"]
    print(f"onnxruntime {ort.__version__}; numpy {np.__version__}; batch {opts['--batch']}")
    print("| model | mazes | exact | smallest margin | seconds | mazes/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in models:
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        t0 = time.time()
        exact, margin, bad = 0, float("inf"), []
        for s in range(0, len(mazes), opts["--batch"]):
            logits = sess.run(["logits"], {"input_ids": ids[s:s + opts["--batch"]]})[0]
            got = logits.argmax(-1)
            top2 = np.sort(logits, -1)[..., -2:]
            margin = min(margin, float((top2[..., 1] - top2[..., 0]).min()))
            ok = (got == want[s:s + opts["--batch"]]).all(-1)
            exact += int(ok.sum())
            bad += [s + int(k) + 1 for k in np.nonzero(~ok)[0]]
            done = min(s + opts["--batch"], len(mazes))
            if done % 200 == 0:
                print(f"  {path}: {done} mazes, {exact} exact, {time.time() - t0:.1f} s", flush=True)
        sec = time.time() - t0
        print(f"| {path} | {len(mazes)} | {exact} | {margin:.3f} | {sec:.1f} | {len(mazes) / sec:.2f} |" + (f" wrong: {bad[:10]}" if bad else ""), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
