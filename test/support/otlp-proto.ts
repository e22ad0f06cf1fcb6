import { createRequire } from 'node:module';

/**
 * The official OTLP protobuf definitions, as an independent decoder for ringmeter's own encoder: the static code
 * protobufjs generated from open-telemetry/opentelemetry-proto, which @opentelemetry/otlp-transformer@0.200.0 ships
 * (build/src/generated/root.js, all of metrics.proto including ExponentialHistogram). It is installed under the alias
 * @otlp-proto/official so that it cannot be mistaken for the transformer ringmeter runs with (0.223, whose encoder
 * is hand-written and not generated from the .proto files).
 */
const require = createRequire(import.meta.url);

interface ProtoMessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: object): object;
  toObject(message: object, options: Record<string, unknown>): Record<string, any>;
}

const root = require('@otlp-proto/official/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { metrics: { v1: Record<string, ProtoMessageType> } } } };
};
const service = root.opentelemetry.proto.collector.metrics.v1;

/**
 * protobufjs's toObject options that give the OTLP/JSON shape: lowerCamelCase names, 64-bit integers as decimal
 * strings, enums as integers, default values left out. A protobuf body decoded this way and a JSON body parsed with
 * JSON.parse can be compared field for field.
 */
const AS_OTLP_JSON = { longs: String, enums: Number, json: true, defaults: false };

/** An ExportMetricsServiceRequest body decoded by the official definitions, in OTLP/JSON shape. */
export function decodeMetricsRequest(body: Uint8Array): Record<string, any> {
  const { ExportMetricsServiceRequest } = service;
  return ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(body), AS_OTLP_JSON);
}

/** An ExportMetricsServiceResponse body encoded by the official definitions (for the response decoder's tests). */
export function encodeMetricsResponse(response: { partialSuccess?: { rejectedDataPoints?: number; errorMessage?: string } }): Uint8Array {
  const { ExportMetricsServiceResponse } = service;
  return ExportMetricsServiceResponse.encode(ExportMetricsServiceResponse.fromObject(response)).finish();
}

export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

/** Whether a request's Content-Type names the protobuf encoding (parameters such as charset ignored). */
export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}
