import { CONTENT_TYPES, type WireFormat } from './metrics-writer.js';

/**
 * What a successful (2xx) OTLP/HTTP response says about the request: ExportMetricsServiceResponse's partial_success.
 * A body that cannot be read does not undo the success: the points count as accepted, nothing as rejected, and
 * `malformed` says what was wrong with it (for a log line or a self-metric, never for deciding to resend).
 */
export interface ExportResponseSummary {
  /** Data points the backend refused for good (partial_success.rejected_data_points); 0 when absent. */
  rejectedDataPoints: number;
  /** partial_success.error_message; '' when absent. Backend text: redact before it reaches stats or logs. */
  errorMessage: string;
  malformed?: string;
}

const NOTHING_REJECTED: Readonly<ExportResponseSummary> = Object.freeze({ rejectedDataPoints: 0, errorMessage: '' });
const MAX_ERROR_MESSAGE_CHARS = 1_000;

/**
 * Decodes a response body by its Content-Type (the server answers in the request's encoding; `sent` decides when
 * the header names neither). An empty body is an empty message: full success.
 */
export function decodeExportResponse(body: Uint8Array, contentType: string | undefined, sent: WireFormat): ExportResponseSummary {
  if (body.length === 0) return { ...NOTHING_REJECTED };
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const format: WireFormat = type === CONTENT_TYPES.json ? 'json' : type === CONTENT_TYPES.protobuf ? 'protobuf' : sent;
  try {
    return format === 'json' ? decodeJson(body) : decodeProtobuf(body);
  } catch (error) {
    return { ...NOTHING_REJECTED, malformed: `unreadable ${format} response body: ${(error as Error).message}` };
  }
}

function decodeJson(body: Uint8Array): ExportResponseSummary {
  const message: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  if (message === null || typeof message !== 'object') throw new Error('not a JSON object');
  // Unknown fields are ignored, as the OTLP/JSON rules require of a receiver.
  const partial = (message as { partialSuccess?: unknown }).partialSuccess;
  if (partial === undefined || partial === null) return { ...NOTHING_REJECTED };
  if (typeof partial !== 'object') throw new Error('partialSuccess is not an object');
  const { rejectedDataPoints, errorMessage } = partial as { rejectedDataPoints?: unknown; errorMessage?: unknown };
  // int64 is a decimal string in OTLP/JSON, and either form must be accepted.
  let rejected = 0;
  if (rejectedDataPoints !== undefined && rejectedDataPoints !== null) {
    rejected = typeof rejectedDataPoints === 'string' && /^-?\d+$/.test(rejectedDataPoints) ? Number(rejectedDataPoints) : Number.NaN;
    if (typeof rejectedDataPoints === 'number') rejected = rejectedDataPoints;
    if (!Number.isInteger(rejected)) throw new Error('partialSuccess.rejectedDataPoints is not an integer');
  }
  if (errorMessage !== undefined && errorMessage !== null && typeof errorMessage !== 'string')
    throw new Error('partialSuccess.errorMessage is not a string');
  return summary(rejected, errorMessage ?? '');
}

/** ExportMetricsServiceResponse { partial_success (1): { rejected_data_points (1, int64), error_message (2) } }. */
function decodeProtobuf(body: Uint8Array): ExportResponseSummary {
  const reader = new FieldReader(body, 0, body.length);
  let rejected = 0;
  let message = '';
  while (reader.more()) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === 2) {
      // A repeated message field merges: the last value of each scalar wins, as in any protobuf decoder.
      const end = reader.lengthEnd();
      const inner = new FieldReader(body, reader.at, end);
      while (inner.more()) {
        const tag = inner.tag();
        if (tag.field === 1 && tag.wireType === 0) rejected = inner.int64();
        else if (tag.field === 2 && tag.wireType === 2) message = inner.string();
        else inner.skip(tag.wireType);
      }
      reader.at = end;
    } else {
      reader.skip(wireType);
    }
  }
  return summary(rejected, message);
}

function summary(rejected: number, message: string): ExportResponseSummary {
  // A negative count is nonsense from the backend; it must not turn into points counted twice.
  return {
    rejectedDataPoints: Math.max(rejected, 0),
    errorMessage: message.length > MAX_ERROR_MESSAGE_CHARS ? `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}…` : message,
  };
}

/** Just enough of a protobuf reader to walk fields, skip unknown ones and refuse truncated input. */
class FieldReader {
  constructor(
    private readonly bytes: Uint8Array,
    public at: number,
    private readonly end: number,
  ) {}

  more(): boolean {
    return this.at < this.end;
  }

  tag(): { field: number; wireType: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new Error(`field number 0 at byte ${this.at}`);
    return { field, wireType: key % 8 };
  }

  /** A varint as a number: exact below 2^53, which any count of data points is. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new Error('truncated varint');
      const byte = this.bytes[this.at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** An int64 varint: ten bytes and a value ≥ 2^63 mean a negative number (two's complement). */
  int64(): number {
    const value = this.varint();
    return value >= 2 ** 63 ? value - 2 ** 64 : value;
  }

  lengthEnd(): number {
    const length = this.varint();
    const end = this.at + length;
    if (end > this.end) throw new Error(`length ${length} runs past the end of the body`);
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, end - this.at).toString('utf8');
    this.at = end;
    return text;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.at = this.lengthEnd();
    else if (wireType === 5) this.advance(4);
    else throw new Error(`unsupported wire type ${wireType}`);
  }

  private advance(bytes: number): void {
    if (this.at + bytes > this.end) throw new Error('truncated fixed-width field');
    this.at += bytes;
  }
}
