// The protobuf wire format, as much of it as ONNX needs: varints (int32, int64, enums), 32-bit
// floats, length-delimited fields (strings, bytes, nested messages, packed repeated scalars).
// Hand-written rather than a protobuf library: ONNX uses ten small messages, this file is a few
// hundred lines with no dependency (nothing added to the browser bundle), and every read is
// bounds-checked so a truncated or malformed file fails with the byte offset instead of reading
// past the end. Browser-safe (no Node built-ins).
import { SimdnetError } from "../errors.js";

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Builds one message; nested messages are built in their own Writer and added with `message`. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** A non-negative integer or a negative int64 (ten bytes, two's complement), as a varint. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`varint ${v} is not a safe integer`);
    this.reserve(10);
    if (v < 0) {
      let b = BigInt.asUintN(64, BigInt(v));
      while (b >= 0x80n) {
        this.buf[this.len++] = Number(b & 0x7fn) | 0x80;
        b >>= 7n;
      }
      this.buf[this.len++] = Number(b);
      return this;
    }
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
    return this;
  }

  private tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, v: number): this {
    return this.tag(field, WIRE_VARINT).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, WIRE_I32);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_LEN).varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Writer): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One field as read: its number, wire type, and value (a number, or the bytes of a LEN field). */
export interface Field {
  field: number;
  wire: number;
  /** VARINT: the value as a signed int64 (exact within ±2^53); I32: the float32. */
  num: number;
  /** LEN: the payload; its absolute offset is `at`. */
  bytes: Uint8Array;
  /** Absolute byte offset of the field's value in the file. */
  at: number;
}

/**
 * Reads the fields of one message from bytes[start, end). `base` is the message's absolute offset
 * in the file, so errors can name the byte. Unknown fields are returned like known ones (callers
 * skip what they do not read); groups (wire types 3, 4) are refused.
 */
export class Reader {
  private pos: number;
  private readonly dv: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
    private readonly what: string,
    private readonly file?: string,
  ) {
    this.pos = 0;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string, offset = this.pos): SimdnetError {
    return new SimdnetError(`not a valid ONNX file: ${message}`, { file: this.file, field: this.what, byteOffset: this.base + offset });
  }

  /** A refusal at an absolute byte offset of the file. */
  failAt(message: string, absoluteOffset: number, field = this.what): SimdnetError {
    return new SimdnetError(`not a valid ONNX file: ${message}`, { file: this.file, field, byteOffset: absoluteOffset });
  }

  done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** A varint as a signed 64-bit integer; refuses values beyond ±2^53 and varints past 10 bytes. */
  private varint(): number {
    const start = this.pos;
    let lo = 0;
    let shift = 0;
    // fast path: up to 4 bytes (28 bits) as a plain number
    while (shift < 28) {
      if (this.pos >= this.bytes.length) throw this.fail("truncated varint", start);
      const b = this.bytes[this.pos++];
      lo += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return lo;
      shift += 7;
    }
    let v = BigInt(lo);
    for (let i = 4; ; i++) {
      if (i >= 10) throw this.fail("varint longer than 10 bytes", start);
      if (this.pos >= this.bytes.length) throw this.fail("truncated varint", start);
      const b = this.bytes[this.pos++];
      v |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) break;
    }
    const s = BigInt.asIntN(64, v);
    if (s > BigInt(Number.MAX_SAFE_INTEGER) || s < BigInt(Number.MIN_SAFE_INTEGER)) throw this.fail(`integer ${s} is too large`, start);
    return Number(s);
  }

  /** The next field, or null at the end of the message. */
  next(): Field | null {
    if (this.done()) return null;
    const tagAt = this.pos;
    const tag = this.varint();
    if (tag < 8 || tag > 0xffffffff) throw this.fail(`bad field tag ${tag}`, tagAt);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    const at = this.pos;
    switch (wire) {
      case WIRE_VARINT:
        return { field, wire, num: this.varint(), bytes: EMPTY, at: this.base + at };
      case WIRE_I64:
        if (this.pos + 8 > this.bytes.length) throw this.fail("truncated 64-bit field", tagAt);
        this.pos += 8;
        return { field, wire, num: this.dv.getFloat64(at, true), bytes: EMPTY, at: this.base + at };
      case WIRE_I32:
        if (this.pos + 4 > this.bytes.length) throw this.fail("truncated 32-bit field", tagAt);
        this.pos += 4;
        return { field, wire, num: this.dv.getFloat32(at, true), bytes: EMPTY, at: this.base + at };
      case WIRE_LEN: {
        const n = this.varint();
        if (n < 0 || this.pos + n > this.bytes.length) throw this.fail(`field ${field} claims ${n} bytes, ${this.bytes.length - this.pos} remain (truncated file?)`, tagAt);
        const start = this.pos;
        this.pos += n;
        return { field, wire, num: 0, bytes: this.bytes.subarray(start, start + n), at: this.base + start };
      }
      default:
        throw this.fail(`unsupported wire type ${wire} (field ${field})`, tagAt);
    }
  }

  /** A reader over a LEN field's payload (a nested message). */
  sub(f: Field, what: string): Reader {
    return new Reader(f.bytes, f.at, what, this.file);
  }

  /** Checks a field has the wire type its schema gives it. */
  expect(f: Field, wire: number, name: string): Field {
    if (f.wire !== wire) throw this.fail(`${name} (field ${f.field}) has wire type ${f.wire}, expected ${wire}`);
    return f;
  }

  string(f: Field, name: string): string {
    this.expect(f, WIRE_LEN, name);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(f.bytes);
    } catch {
      throw this.fail(`${name} is not valid UTF-8`, f.at - this.base);
    }
  }

  /** A repeated varint field, packed (LEN) or not. */
  varints(f: Field, name: string, into: number[]): void {
    if (f.wire === WIRE_VARINT) into.push(f.num);
    else if (f.wire === WIRE_LEN) {
      const r = this.sub(f, name);
      while (!r.done()) into.push(r.varint());
    } else throw this.fail(`${name} has wire type ${f.wire}`);
  }

  /** A repeated float field, packed (LEN) or not. */
  floats(f: Field, name: string, into: number[]): void {
    if (f.wire === WIRE_I32) into.push(f.num);
    else if (f.wire === WIRE_LEN) {
      if (f.bytes.length % 4) throw this.fail(`${name}: packed floats of ${f.bytes.length} bytes`, f.at - this.base);
      const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
      for (let i = 0; i < f.bytes.length; i += 4) into.push(dv.getFloat32(i, true));
    } else throw this.fail(`${name} has wire type ${f.wire}`);
  }
}

const EMPTY = new Uint8Array(0);
