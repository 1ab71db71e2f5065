/**
 * Typing reports, throttled: "typing" at most every `everyMs` while text is
 * being typed, "stopped" once when it is sent, cleared or left (the worker's
 * client core throttles again and says "stopped" by itself after a while).
 *
 * Runs in: extension pages.
 */
export function createTypingReporter(
  report: () => ((typing: boolean) => void) | undefined,
  everyMs: number,
  now: () => number = Date.now,
): (typing: boolean) => void {
  let since = 0;
  return (typing) => {
    const onTyping = report();
    if (onTyping === undefined) return;
    if (typing) {
      const at = now();
      if (at - since < everyMs) return;
      since = at;
      onTyping(true);
    } else if (since !== 0) {
      since = 0;
      onTyping(false);
    }
  };
}
