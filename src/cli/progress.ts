/** A progress line on stderr (`label 12/40`), redrawn in place on a terminal; silent otherwise, so logs stay clean. */
export function progressLine(label: string, stream: NodeJS.WriteStream = process.stderr): { update: (done: number, total: number) => void; end: () => void } {
  let shown = false;
  return {
    update: (done, total) => {
      if (!stream.isTTY) return;
      stream.write(`\r${label} ${done}/${total}`);
      shown = true;
    },
    end: () => {
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
