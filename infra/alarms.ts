/**
 * CloudWatch alarms of the stage, all notifying one SNS topic that the `AlarmEmail` secret's
 * address is subscribed to (docs/deploy.md, "Alarms"). Thresholds per stage come from
 * infra/stage-settings.ts; every alarm's description names its docs/runbook.md section.
 *  - one per metric of the service's own (functions/core/metrics.ts) that signals trouble;
 *  - per route of infra/routes.ts: the share of 5xx answers and the p99 latency (API Gateway's
 *    detailed route metrics, turned on in infra/api.ts);
 *  - per function: Lambda's Errors and Throttles;
 *  - the table's read and write throttle events;
 *  - tenant events: the age of the stream record the sequencer has not turned into an event yet
 *    (IteratorAge), of the oldest message of the feed queue (events not yet in their feed), any
 *    message in the feed's dead-letter queue (events the appender could not append at all), the
 *    age of the oldest message of the webhook queue (events waiting to be sent), and any message
 *    in its dead-letter queue (deliveries that could not be dispatched at all).
 * Alarms treat missing data as not breaching: no traffic is no trouble.
 */
import { METRICS_NAMESPACE, SERVICE_NAME } from "../functions/core/service.ts";
import { api, functions } from "./api.ts";
import { appenderSubscriber, dispatcherSubscriber, retrySweep, sequencerSubscriber } from "./events.ts";
import { feedDeadLetterQueue, feedQueue, webhookDeadLetterQueue, webhookQueue } from "./queues.ts";
import { reconciler } from "./reconciler.ts";
import { type RouteDefinition, routeLogicalName, routes } from "./routes.ts";
import { alarmEmail } from "./secrets.ts";
import {
  type AlarmRule,
  API_LATENCY_P99,
  METRIC_ALARMS,
  type MetricAlarmName,
  routeLatencyKind,
  SERVICE_ALARMS,
  stageKind,
} from "./stage-settings.ts";
import { table } from "./storage.ts";

/** SST's HTTP API stage (ApiGatewayV2 deploys one, `$default`). */
const API_STAGE = "$default";

const kind = stageKind($app.stage);

export const alarmTopic = new aws.sns.Topic("AlarmTopic", { name: `${$app.name}-${$app.stage}-alarms` });

export const alarmSubscription = new aws.sns.TopicSubscription("AlarmEmailSubscription", {
  topic: alarmTopic.arn,
  protocol: "email",
  endpoint: alarmEmail.value,
});

/** What differs between alarms: the metric (or metric math) and how it is read. */
type AlarmArgs = Omit<
  aws.cloudwatch.MetricAlarmArgs,
  | "alarmActions"
  | "okActions"
  | "alarmDescription"
  | "name"
  | "treatMissingData"
  | "threshold"
  | "comparisonOperator"
  | "evaluationPeriods"
  | "datapointsToAlarm"
>;

/**
 * One alarm: `logicalName` is its Pulumi name (and, prefixed with the app and stage, its
 * CloudWatch name); it fires at `rule.threshold` or above, and says so when it clears.
 */
function alarm(
  logicalName: string,
  rule: Omit<AlarmRule, "threshold">,
  threshold: number,
  args: AlarmArgs,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(logicalName, {
    name: `${$app.name}-${$app.stage}-${logicalName}`,
    alarmDescription: `${rule.unit}: ${threshold} or more. Runbook: docs/runbook.md, section "${rule.section}".`,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    threshold,
    evaluationPeriods: rule.periods,
    datapointsToAlarm: rule.periods,
    treatMissingData: "notBreaching",
    alarmActions: [alarmTopic.arn],
    okActions: [alarmTopic.arn],
    ...args,
  });
}

/** A metric over the rule's period, as one alarm's own metric (no metric math). */
function single(rule: Omit<AlarmRule, "threshold">, metric: AlarmArgs): AlarmArgs {
  return { period: rule.periodSeconds, ...metric };
}

export const metricAlarms = Object.fromEntries(
  (Object.entries(METRIC_ALARMS) as [MetricAlarmName, AlarmRule][])
    .flatMap(([name, rule]) => {
      const threshold = rule.threshold[kind];
      // A rule switched off for this kind of stage has no alarm.
      return threshold === null ? [] : [[name, rule, threshold] as const];
    })
    .map(([name, rule, threshold]) => [
      name,
      alarm(
        name,
        rule,
        threshold,
        single(rule, {
          namespace: METRICS_NAMESPACE,
          metricName: name,
          dimensions: { service: SERVICE_NAME, stage: $app.stage },
          statistic: "Sum",
        }),
      ),
    ]),
);

/** A route's logical-name part (infra/routes.ts `routeLogicalName`): `GetUsernameGet`, `MetaWebhookPost`. */
const routeName = routeLogicalName;

function routeDimensions(route: RouteDefinition) {
  return { ApiId: api.nodes.api.id, Stage: API_STAGE, Method: route.method, Resource: route.path };
}

export const routeAlarms = routes.flatMap((route) => {
  const errors = SERVICE_ALARMS.ApiServerErrorRate;
  const period = errors.periodSeconds;
  const metric = (id: string, metricName: string) => ({
    id,
    returnData: false,
    metric: {
      namespace: "AWS/ApiGateway",
      metricName,
      dimensions: routeDimensions(route),
      stat: "Sum",
      period,
    },
  });
  return [
    alarm(`ApiServerErrorRate${routeName(route)}`, errors, errors.threshold[kind], {
      metricQueries: [
        metric("errors", "5xx"),
        metric("requests", "Count"),
        {
          id: "rate",
          label: `${route.method} ${route.path}: 5xx, percent of requests`,
          // Below 10 requests in a period a rate says little: no alarm on one failed request.
          expression: "IF(requests >= 10, 100 * errors / requests, 0)",
          returnData: true,
        },
      ],
    }),
    alarm(
      `ApiLatencyP99${routeName(route)}`,
      API_LATENCY_P99,
      API_LATENCY_P99.threshold[routeLatencyKind(route)][kind],
      single(API_LATENCY_P99, {
        namespace: "AWS/ApiGateway",
        metricName: "Latency",
        dimensions: routeDimensions(route),
        extendedStatistic: "p99",
      }),
    ),
  ];
});

/** Every Lambda of the stage by its logical name: the API's, the reconciler and the event functions. */
const deployedFunctions: Record<string, $util.Output<string>> = {
  ...Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.name])),
  Reconciler: reconciler.nodes.function.apply((fn) => fn.name),
  EventSequencer: sequencerSubscriber.apply((subscriber) => subscriber.nodes.function.name),
  FeedAppender: appenderSubscriber.apply((subscriber) => subscriber.nodes.function.name),
  WebhookDispatcher: dispatcherSubscriber.apply((subscriber) => subscriber.nodes.function.name),
  WebhookRetrySweep: retrySweep.nodes.function.apply((fn) => fn.name),
};

export const functionAlarms = Object.entries(deployedFunctions).flatMap(([name, functionName]) =>
  (["LambdaErrors", "LambdaThrottles"] as const).map((alarmName) => {
    const rule = SERVICE_ALARMS[alarmName];
    return alarm(
      `${alarmName}${name}`,
      rule,
      rule.threshold[kind],
      single(rule, {
        namespace: "AWS/Lambda",
        metricName: alarmName === "LambdaErrors" ? "Errors" : "Throttles",
        dimensions: { FunctionName: functionName },
        statistic: "Sum",
      }),
    );
  }),
);

export const tableAlarms = (["Read", "Write"] as const).map((operation) => {
  const rule = SERVICE_ALARMS.TableThrottled;
  return alarm(
    `TableThrottled${operation}`,
    rule,
    rule.threshold[kind],
    single(rule, {
      namespace: "AWS/DynamoDB",
      metricName: `${operation}ThrottleEvents`,
      dimensions: { TableName: table.name },
      statistic: "Sum",
    }),
  );
});

const unsequenced = SERVICE_ALARMS.OldestUnsequencedChange;
export const streamAlarm = alarm(
  "OldestUnsequencedChange",
  unsequenced,
  unsequenced.threshold[kind],
  single(unsequenced, {
    namespace: "AWS/Lambda",
    metricName: "IteratorAge",
    dimensions: { FunctionName: deployedFunctions.EventSequencer as $util.Output<string> },
    statistic: "Maximum",
  }),
);

const unappendedAge = SERVICE_ALARMS.OldestUnappendedEvent;
const unappended = SERVICE_ALARMS.UnappendedEvents;
export const feedQueueAlarms = [
  alarm(
    "OldestUnappendedEvent",
    unappendedAge,
    unappendedAge.threshold[kind],
    single(unappendedAge, {
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: feedQueue.nodes.queue.name },
      statistic: "Maximum",
    }),
  ),
  alarm(
    "UnappendedEvents",
    unappended,
    unappended.threshold[kind],
    single(unappended, {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: feedDeadLetterQueue.nodes.queue.name },
      statistic: "Maximum",
    }),
  ),
];

const oldest = SERVICE_ALARMS.OldestUndeliveredEvent;
const undispatched = SERVICE_ALARMS.UndispatchedEvents;
export const queueAlarms = [
  alarm(
    "OldestUndeliveredEvent",
    oldest,
    oldest.threshold[kind],
    single(oldest, {
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: webhookQueue.nodes.queue.name },
      statistic: "Maximum",
    }),
  ),
  alarm(
    "UndispatchedEvents",
    undispatched,
    undispatched.threshold[kind],
    single(undispatched, {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: webhookDeadLetterQueue.nodes.queue.name },
      statistic: "Maximum",
    }),
  ),
];
