export { SUBJECT_PREFIX, subjects, JETSTREAM_STREAM, JETSTREAM_SUBJECTS, jetstreamStreamName, durableConsumers, RESPONSE_CACHE_STREAM, responseCacheStreamName } from './subjects.js';
export { httpHeaders, natsHeaders } from './headers.js';
export {
  GatewayError,
  type ErrorMetadata,
  type SerializedGatewayError,
  serializedGatewayErrorSchema,
  BadRequestError,
  AuthenticationError,
  PaymentRequiredError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitError,
  AvailabilityError,
  ServiceUnavailableError,
  ProviderFailureError,
  InternalError,
  toGatewayError,
} from './errors.js';
export * from './providers.js';
export * from './embeddings.js';
export * from './catalog.js';
export * from './routing.js';
export * from './billing.js';
export * from './metering.js';
export * from './rpc.js';
export * from './ids.js';
