// A one-line progress bar on stderr, redrawn at most every 100 ms and erased when done. Commands
// draw it only when stderr is a terminal and the output is not --json.

const int = (n: number) => n.toLocaleString('en-US');

export function progressBar(label: string, unit = 'cases'): { update(done: number, total: number): void; finish(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      process.stderr.write(`\r${label}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${int(done)}/${int(total)} ${unit}`);
      drawn = true;
    },
    finish() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}
