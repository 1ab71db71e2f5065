/**
 * Imported first by main.ts, before anything loads cbor-x. cbor-x would
 * otherwise load its native string extractor (cbor-extract), a Node addon
 * that Deno cannot link: the first large frame then kills the process with
 * "symbol lookup error ... v8::Isolate::GetCurrent". The pure-JS decoder is
 * what the relay is tested with. (The only other file that touches Deno.env.)
 */
if (Deno.env.get('CBOR_NATIVE_ACCELERATION_DISABLED') === undefined) {
  Deno.env.set('CBOR_NATIVE_ACCELERATION_DISABLED', 'true');
}
