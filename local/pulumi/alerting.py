"""pulumi-aws's CloudWatch alarms, dashboards and SNS topics made in moto, so `aws cloudwatch
describe-alarms`, `get-dashboard` and `aws sns list-topics` against the local cloud show what
the stack declares (moto keeps them; nothing evaluates the alarms locally)."""

from typing import Any

_ALARM_FIELDS = {
    "alarmDescription": "AlarmDescription",
    "comparisonOperator": "ComparisonOperator",
    "evaluationPeriods": "EvaluationPeriods",
    "datapointsToAlarm": "DatapointsToAlarm",
    "threshold": "Threshold",
    "treatMissingData": "TreatMissingData",
    "alarmActions": "AlarmActions",
    "okActions": "OKActions",
    "insufficientDataActions": "InsufficientDataActions",
    "namespace": "Namespace",
    "metricName": "MetricName",
    "period": "Period",
    "statistic": "Statistic",
    "extendedStatistic": "ExtendedStatistic",
    "unit": "Unit",
}


def put_alarm(cloudwatch: Any, name: str, inputs: dict[str, Any]) -> None:
    """`PutMetricAlarm` with what a pulumi-aws `MetricAlarm` declares (creates or replaces)."""
    request: dict[str, Any] = {
        api: inputs[key] for key, api in _ALARM_FIELDS.items() if inputs.get(key) is not None
    }
    if inputs.get("dimensions"):
        request["Dimensions"] = _dimensions(inputs["dimensions"])
    if inputs.get("metricQueries"):
        request["Metrics"] = [_query(query) for query in inputs["metricQueries"]]
    if inputs.get("tags"):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
    cloudwatch.put_metric_alarm(AlarmName=name, **request)


def _query(query: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("returnData"))}
    for key, api in (("expression", "Expression"), ("label", "Label"), ("period", "Period")):
        if query.get(key) is not None:
            found[api] = query[key]
    if query.get("metric"):
        metric = query["metric"]
        found["MetricStat"] = {
            "Metric": {
                "Namespace": metric["namespace"],
                "MetricName": metric["metricName"],
                "Dimensions": _dimensions(metric.get("dimensions") or {}),
            },
            "Period": metric["period"],
            "Stat": metric["stat"],
        }
    return found


def _dimensions(dimensions: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": key, "Value": value} for key, value in dimensions.items()]


def create_topic(sns: Any, name: str, inputs: dict[str, Any]) -> str:
    """`CreateTopic` (idempotent by name) with the topic's encryption; its ARN."""
    attributes = (
        {"KmsMasterKeyId": inputs["kmsMasterKeyId"]} if inputs.get("kmsMasterKeyId") else {}
    )
    return sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
