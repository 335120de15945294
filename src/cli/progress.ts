import type { ProgressEvent } from '../types.js';

/**
 * Progress on stderr: a line rewritten in place on a terminal; elsewhere one line per stage and
 * one per tenth of a long replay, so CI logs show movement without flooding.
 */
export function progressPrinter(stream: NodeJS.WriteStream): { update: (e: ProgressEvent) => void; done: () => void } {
  const tty = stream.isTTY === true;
  let lastStage = '';
  let lastTenth = -1;
  let shown = false;
  return {
    update(event) {
      const text = withCount(event);
      if (tty) {
        const width = Math.max(20, (stream.columns ?? 80) - 1);
        stream.write(`\r\x1b[2K${text}`.slice(0, width + 5));
        shown = true;
        return;
      }
      const tenth = event.total ? Math.floor(((event.done ?? 0) * 10) / event.total) : -1;
      if (event.stage !== lastStage || (event.total !== undefined && event.total >= 50 && tenth !== lastTenth)) {
        stream.write(`${text}\n`);
        lastStage = event.stage;
        lastTenth = tenth;
      }
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[2K');
    },
  };
}

/** The message with how far the stage is, unless it says so itself ("Replaying history 3/40"). */
export function withCount(event: ProgressEvent): string {
  if (event.total === undefined || event.done === undefined || event.message.includes(`/${event.total}`)) return event.message;
  return `${event.message} (${event.done}/${event.total})`;
}
