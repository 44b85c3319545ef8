"""CloudWatch alarms: each one tells someone."""

from .common import resource_rule

alarm_actions = resource_rule(
    "cloudwatch-alarm-actions",
    "Every alarm has an action (a topic, an Auto Scaling or Systems Manager action): an alarm "
    "that notifies no one is only a line on a console.",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    lambda props, config, args: (
        [] if props.get("alarmActions") else ["goes off without telling anyone (no alarmActions)"]
    ),
)

POLICIES = [alarm_actions]
