/** A QR code drawn as one SVG path (uqr), for the scannable safety number and the link string. */
import { createMemo, type JSX } from 'solid-js';
import { encode } from 'uqr';
import { fromBase64Url } from '../../shared/bytes.ts';

export function qrPath(data: readonly (readonly boolean[])[]): string {
  let d = '';
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return d;
}

/** `payload` is base64url bytes (the safety number); `text` is encoded as it is (a link string). */
export function QrCode(
  props: { payload: string; label: string } | { text: string; label: string },
): JSX.Element {
  const qr = createMemo(() =>
    encode('text' in props ? props.text : [...fromBase64Url(props.payload)], {
      ecc: 'M',
      border: 1,
    }),
  );
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${qr().size} ${qr().size}`}
      role="img"
      aria-label={props.label}
      shape-rendering="crispEdges"
    >
      <rect width={qr().size} height={qr().size} fill="#fff" />
      <path d={qrPath(qr().data)} fill="#0b0d12" />
    </svg>
  );
}
