// POST /api/v1/publish: a message from the server side.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/broker.js';
import { topicWithinLimits } from '../../broker/limits.js';
import type { QoS } from '../../codec/constants.js';
import { validateTopicName } from '../../codec/topic.js';
import type { Properties } from '../../codec/types.js';
import { ApiError, asInput } from '../errors.js';

interface PublishBody {
  topic: string;
  payload?: string;
  encoding?: 'utf8' | 'base64';
  qos?: QoS;
  retain?: boolean;
  properties?: {
    contentType?: string;
    responseTopic?: string;
    correlationData?: string;
    messageExpiryInterval?: number;
    payloadFormatIndicator?: 0 | 1;
    userProperties?: Array<[string, string]>;
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decode(field: string, text: string, encoding: 'utf8' | 'base64'): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new ApiError(400, 'invalid_request', `${field}: not valid base64`, field);
  }
  return Buffer.from(text, 'base64');
}

/** `POST /api/v1/publish`. */
export function publishRoutes(app: FastifyInstance, broker: Broker): void {
  app.post<{ Body: PublishBody }>(
    '/api/v1/publish',
    {
      schema: {
        summary: 'Publish a message from the server side (no client, no authorization hooks)',
        tags: ['publish'],
        body: {
          type: 'object',
          required: ['topic'],
          additionalProperties: false,
          properties: {
            topic: { type: 'string', minLength: 1 },
            payload: { type: 'string', default: '' },
            encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8' },
            qos: { type: 'integer', enum: [0, 1, 2], default: 0 },
            retain: { type: 'boolean', default: false },
            properties: {
              type: 'object',
              additionalProperties: false,
              description: 'MQTT 5.0 properties, forwarded to 5.0 subscribers',
              properties: {
                contentType: { type: 'string' },
                responseTopic: { type: 'string', minLength: 1 },
                correlationData: { type: 'string', description: 'base64' },
                messageExpiryInterval: { type: 'integer', minimum: 0, maximum: 4294967295 },
                payloadFormatIndicator: { type: 'integer', enum: [0, 1] },
                userProperties: {
                  type: 'array',
                  items: {
                    type: 'array',
                    items: { type: 'string' },
                    minItems: 2,
                    maxItems: 2,
                  },
                },
              },
            },
          },
        },
        response: { 200: { type: 'object', properties: { published: { type: 'boolean' } } } },
      },
    },
    (req) => {
      const b = req.body;
      asInput('body.topic', () => validateTopicName(b.topic));
      if (b.topic.startsWith('$')) {
        throw new ApiError(
          400,
          'invalid_request',
          'body.topic: topics starting with $ are the broker’s own',
          'body.topic',
        );
      }
      if (!topicWithinLimits(b.topic, broker.options)) {
        throw new ApiError(
          400,
          'invalid_request',
          'body.topic: exceeds maxTopicLevels or maxTopicLength',
          'body.topic',
        );
      }
      const payload = decode('body.payload', b.payload ?? '', b.encoding ?? 'utf8');
      if (b.retain === true && !broker.options.retainAvailable) {
        throw new ApiError(
          400,
          'invalid_request',
          'body.retain: retained messages are switched off',
          'body.retain',
        );
      }
      let properties: Properties | undefined;
      const p = b.properties;
      if (p !== undefined) {
        if (p.responseTopic !== undefined) {
          const rt = p.responseTopic;
          asInput('body.properties.responseTopic', () => validateTopicName(rt));
        }
        properties = {};
        if (p.contentType !== undefined) properties.contentType = p.contentType;
        if (p.responseTopic !== undefined) properties.responseTopic = p.responseTopic;
        if (p.messageExpiryInterval !== undefined) {
          properties.messageExpiryInterval = p.messageExpiryInterval;
        }
        if (p.payloadFormatIndicator !== undefined) {
          properties.payloadFormatIndicator = p.payloadFormatIndicator;
        }
        if (p.userProperties !== undefined) properties.userProperties = p.userProperties;
        if (p.correlationData !== undefined) {
          properties.correlationData = decode(
            'body.properties.correlationData',
            p.correlationData,
            'base64',
          );
        }
      }
      const qos = Math.min(b.qos ?? 0, broker.options.maximumQoS) as QoS;
      broker.publish(b.topic, payload, {
        qos,
        retain: b.retain ?? false,
        ...(properties === undefined ? {} : { properties }),
      });
      return { published: true };
    },
  );
}
