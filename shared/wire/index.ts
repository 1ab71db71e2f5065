/**
 * Parley's wire format: every WebSocket frame and REST body, their caps and
 * error codes (docs/wire.md). Import from here or from the single modules.
 */
export * from './cbor.ts';
export * from './codec.ts';
export * from './device-auth.ts';
export * from './device-request.ts';
export * from './fields.ts';
export * from './frames.ts';
export * from './handle.ts';
export * from './http-status.ts';
export * from './issues.ts';
export * from './limits.ts';
export * from './rest-attachments.ts';
export * from './rest-auth.ts';
export * from './rest-codec.ts';
export * from './rest-devices.ts';
export * from './rest-fields.ts';
export * from './routes.ts';
