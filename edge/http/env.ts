/** Per-request values set by middleware, typed for every route. */
export interface AppEnv {
  Variables: {
    /** The client address used for rate limits and audit events. */
    ip: string;
    /** Set by requireSession (account) or requireDevice (account + device). */
    accountId: string;
    deviceId: number | undefined;
    /** Set by requireUploadToken: the bearer token of an attachment upload (checked by the service). */
    uploadToken: string | undefined;
    /** Set by requireBackupSignature: the auth public key that signed (the service checks it is pinned). */
    backupKey: Uint8Array | undefined;
    /** The request body, read once under the route's cap (body-limit.ts). */
    body: Uint8Array<ArrayBuffer> | undefined;
  };
}
