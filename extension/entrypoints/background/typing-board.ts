/**
 * Who is typing where, as the worker tells pages. Typing indicators are
 * transient (never stored, by the client core or here): this is memory only,
 * fed by the client core's `typing` events (which already clear a "typing"
 * nobody refreshed) and by incoming messages (whoever sent one stopped).
 *
 * Runs anywhere (pure).
 */
export class TypingBoard {
  /** conversation → user id → handle, in the order they started. */
  readonly #typing = new Map<string, Map<string, string>>();

  /** Records a change; true when the conversation's list of typers changed. */
  set(conversationId: string, userId: string, handle: string, typing: boolean): boolean {
    const users = this.#typing.get(conversationId);
    if (!typing) {
      if (users?.delete(userId) !== true) return false;
      if (users.size === 0) this.#typing.delete(conversationId);
      return true;
    }
    if (users?.get(userId) === handle) return false;
    if (users === undefined) this.#typing.set(conversationId, new Map([[userId, handle]]));
    else users.set(userId, handle);
    return true;
  }

  /** Handles of the people typing in `conversationId`, first starter first. */
  handles(conversationId: string): string[] {
    return [...(this.#typing.get(conversationId)?.values() ?? [])];
  }

  /** Forgets a conversation (deleted) or everything (locked). */
  clear(conversationId?: string): void {
    if (conversationId === undefined) this.#typing.clear();
    else this.#typing.delete(conversationId);
  }
}
