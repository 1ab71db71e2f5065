/** Per-request values set by middleware, typed for every route. */
export interface AppEnv {
  Variables: {
    /** The client address used for rate limits and audit events. */
    ip: string;
    /** Set by requireSession (account) or requireDevice (account + device). */
    accountId: string;
    deviceId: number | undefined;
  };
}
