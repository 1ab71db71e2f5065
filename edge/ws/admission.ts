/**
 * Caps on sockets that are upgraded but not authenticated, per client IP and
 * in total. Deno offers no maximum message size (denoland/deno#15809): each
 * open socket can make the runtime buffer one message of up to 64 MiB before
 * the relay sees a byte of it, so the number of anonymous sockets is what
 * bounds that memory. A slot is taken before the upgrade and given back when
 * the socket authenticates or when the transport reports it closed; a socket
 * the relay has closed but whose peer keeps the TCP connection (and a message
 * in flight) still holds its slot.
 */

export interface AdmissionTicket {
  /** Gives the slot back. Idempotent. */
  release(): void;
}

/**
 * The per-IP key: an IPv6 address counts by its /64 (one subscriber usually
 * holds a whole /64, so single addresses would make the cap free to evade).
 */
export function admissionKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] !== undefined) return mapped[1];
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class PreauthAdmission {
  readonly #perIp: number;
  readonly #total: number;
  readonly #byIp = new Map<string, number>();
  #count = 0;

  constructor(perIp: number, total: number) {
    this.#perIp = perIp;
    this.#total = total;
  }

  /** Sockets holding a slot now. */
  get size(): number {
    return this.#count;
  }

  /** A slot for `ip`, or undefined when its cap or the total cap is reached. */
  admit(address: string): AdmissionTicket | undefined {
    const ip = admissionKey(address);
    const held = this.#byIp.get(ip) ?? 0;
    if (held >= this.#perIp || this.#count >= this.#total) return undefined;
    this.#byIp.set(ip, held + 1);
    this.#count++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#count--;
        const left = (this.#byIp.get(ip) ?? 1) - 1;
        if (left <= 0) this.#byIp.delete(ip);
        else this.#byIp.set(ip, left);
      },
    };
  }
}
