#!/usr/bin/env python3
"""Keep only the GPU code of some architectures in a CUDA shared library's .nv_fatbin section.

    python3 scripts/gpu/prune-fatbin.py IN.so OUT.so [--keep 90] [--report]

Why: onnxruntime's CUDA provider carries compiled kernels (cubins) for sm_75, 80, 86, 89, 90 and
120 - 166 MB of its 230 MB. An H200 (sm_90) can only use the sm_90 ones (a cubin runs on its own
major version, and this build has no PTX to JIT-compile), so dropping the others shrinks what a
GPU lease must carry. Nothing is moved: each fatbin container in the section keeps its place (the
program's pointers to it stay valid); the kept entries are packed to its front, its size field is
lowered to them, and the bytes freed behind them are zeroed (which compresses to nothing).

UNTESTED on a GPU: the CUDA runtime reads only the container header and the entries it lists, so
this should load, but no lent machine has run it yet (docs/cuda.md). --report only prints the
entries per architecture.
"""
import argparse
import collections
import struct
import subprocess
import sys

FATBIN_MAGIC = 0xBA55ED50


def section(path):
    out = subprocess.run(['readelf', '-SW', path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if '.nv_fatbin' in line.split():
            f = line.split(']', 1)[1].split()
            return int(f[3], 16), int(f[4], 16)  # file offset, size
    sys.exit(f'{path}: no .nv_fatbin section')


def containers(sec):
    """(start, header size, entries) for each fatbin container; entries are (offset, length, kind, arch)."""
    pos = 0
    while pos + 16 <= len(sec):
        magic, _version, hsize, fsize = struct.unpack_from('<IHHQ', sec, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # containers are 8-byte aligned
            continue
        entries, e, end = [], pos + hsize, pos + hsize + fsize
        while e < end:
            kind, _, ehsize, psize = struct.unpack_from('<HHIQ', sec, e)
            arch = struct.unpack_from('<I', sec, e + 28)[0]
            entries.append((e, ehsize + psize, kind, arch))
            e += ehsize + psize
        if e != end:
            sys.exit(f'fatbin container at +{pos:#x}: entries overrun its size')
        yield pos, hsize, entries
        pos = end


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('input')
    ap.add_argument('output', nargs='?')
    ap.add_argument('--keep', default='90', help='comma-separated sm numbers to keep (default 90)')
    ap.add_argument('--report', action='store_true')
    args = ap.parse_args()
    keep = {int(x) for x in args.keep.split(',')}
    data = bytearray(open(args.input, 'rb').read())
    off, size = section(args.input)
    sec = memoryview(data)[off:off + size]

    per_arch, kept_bytes, empty, count = collections.Counter(), 0, 0, 0
    for start, hsize, entries in list(containers(sec)):
        count += 1
        for _, length, kind, arch in entries:
            per_arch[('PTX' if kind == 1 else 'ELF', arch)] += length
        if args.report:
            continue
        kept = [bytes(sec[e:e + n]) for e, n, _, arch in entries if arch in keep]
        if not kept:
            # Nothing in it runs on the kept architectures (in onnxruntime 1.29's provider: one
            # 37 KB sm_120-only container), so the GPU cannot use it either way: leave it as it is.
            empty += 1
            continue
        body = b''.join(kept)
        old_end = entries[-1][0] + entries[-1][1] if entries else start + hsize
        sec[start + hsize:start + hsize + len(body)] = body
        sec[start + hsize + len(body):old_end] = bytes(old_end - start - hsize - len(body))
        struct.pack_into('<Q', sec, start + 8, len(body))
        kept_bytes += len(body)

    for (kind, arch), n in sorted(per_arch.items()):
        print(f'  {kind} sm_{arch}: {n / 1e6:.1f} MB')
    print(f'  {count} fatbin containers, .nv_fatbin {size / 1e6:.1f} MB')
    if args.report:
        return
    if empty:
        print(f'  {empty} of {count} containers have no entry for sm {sorted(keep)} (no kernel there for this GPU): left unchanged')
    if not args.output:
        sys.exit('no output file given')
    open(args.output, 'wb').write(data)
    print(f'  kept sm {sorted(keep)}: {kept_bytes / 1e6:.1f} MB of GPU code; wrote {args.output}')


if __name__ == '__main__':
    main()
