"""The resolver engine on an API of its own (nothing of Slate's): every DynamoDB operation
against moto, pipelines, NONE and Lambda data sources, and AppSync's error shape."""

import json
import textwrap
import threading
from dataclasses import replace
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from local.aws.appsync import (
    ApiConfig,
    AuthConfig,
    Caller,
    ConfigError,
    FunctionConfig,
    GraphQLEngine,
    ResolverConfig,
)
from local.aws.appsync import graphql_engine as engine_module
from local.aws.appsync.dynamodb import DynamoDbSource
from local.aws.appsync.lambda_source import LambdaSource
from local.aws.appsync.sources import NoneSource
from local.aws.awslambda.runtime import FunctionSpec, LambdaRuntime

SCHEMA = """
type Item { pk: ID! sk: ID! kind: String n: Int }
type Page { items: [Item!]! nextToken: String }
type Who { sub: ID authType: String fields: [String] }
type Query {
  item(pk: ID!, sk: ID!): Item
  byKind(kind: String!, limit: Int, nextToken: String, minN: Int): Page
  many(keys: [ID!]!): [Item]
  pair(a: ID!, b: ID!): [Item]
  everything(limit: Int, nextToken: String): Page
  piped(skip: Boolean): String
  who: Who
  echo(value: String): String
  lambda(value: String): String
  warned: Int
  filtered: Int
  info(value: String): String
  replacedVariables(n: Int): String
}
type Mutation {
  put(pk: ID!, sk: ID!, n: Int): Item
  bump(pk: ID!, sk: ID!): Item
  remove(pk: ID!, sk: ID!): Item
  transfer(from: ID!, to: ID!): [String]
}
"""
DDB = "import { util } from '@aws-appsync/utils';\n"
PASS_ERRORS = "if (ctx.error) { util.error(ctx.error.message, ctx.error.type); }"


def key(pk: str = "ctx.args.pk", sk: str = "ctx.args.sk") -> str:
    return f"util.dynamodb.toMapValues({{ pk: {pk}, sk: {sk} }})"


def unit(request: str, response: str = f"{PASS_ERRORS} return ctx.result;") -> str:
    return textwrap.dedent(
        f"""{DDB}
        export function request(ctx) {{ {request} }}
        export function response(ctx) {{ {response} }}
        """
    )


SORT_A = "'A'"
RESOLVERS = {
    ("Query", "item"): ("table", unit(f"return {{ operation: 'GetItem', key: {key()} }};")),
    ("Query", "byKind"): (
        "table",
        unit(
            "return { operation: 'Query', index: 'byKind', scanIndexForward: false,"
            " limit: ctx.args.limit, nextToken: ctx.args.nextToken,"
            " query: { expression: 'kind = :k',"
            " expressionValues: util.dynamodb.toMapValues({ ':k': ctx.args.kind }) },"
            " filter: ctx.args.minN ? { expression: 'n >= :min',"
            " expressionValues: util.dynamodb.toMapValues({ ':min': ctx.args.minN }) } : null };"
        ),
    ),
    ("Query", "many"): (
        "table",
        unit(
            "return { operation: 'BatchGetItem', tables: { items: { keys: ctx.args.keys.map((k) =>"
            f" {key('k', SORT_A)}) }} }} }};",
            f"{PASS_ERRORS} return ctx.result.data.items;",
        ),
    ),
    ("Query", "pair"): (
        "table",
        unit(
            "return { operation: 'TransactGetItems', transactItems: ["
            f" {{ table: 'items', key: {key('ctx.args.a', SORT_A)} }},"
            f" {{ table: 'items', key: {key('ctx.args.b', SORT_A)} }} ] }};",
            f"{PASS_ERRORS} return ctx.result.items;",
        ),
    ),
    ("Query", "everything"): (
        "table",
        unit(
            "return { operation: 'Scan', limit: ctx.args.limit, nextToken: ctx.args.nextToken,"
            " filter: { expression: 'attribute_exists(n)' } };"
        ),
    ),
    ("Mutation", "put"): (
        "table",
        unit(
            f"return {{ operation: 'PutItem', key: {key()},"
            " attributeValues: util.dynamodb.toMapValues({ kind: 'thing', n: ctx.args.n ?? 0 }),"
            " condition: { expression: 'attribute_not_exists(pk)' } };"
        ),
    ),
    ("Mutation", "bump"): (
        "table",
        unit(
            f"return {{ operation: 'UpdateItem', key: {key()},"
            " update: { expression: 'SET n = n + :one',"
            " expressionValues: util.dynamodb.toMapValues({ ':one': 1 }) },"
            " condition: { expression: 'attribute_exists(pk)' } };"
        ),
    ),
    ("Mutation", "remove"): ("table", unit(f"return {{ operation: 'DeleteItem', key: {key()} }};")),
    ("Mutation", "transfer"): (
        "table",
        unit(
            "const step = (pk, delta) => ({ table: 'items', operation: 'UpdateItem',"
            f" key: {key('pk', SORT_A)}, update: {{ expression: 'SET n = n + :d',"
            " expressionValues: util.dynamodb.toMapValues({ ':d': delta }) },"
            " condition: { expression: 'n >= :zero',"
            " expressionValues: util.dynamodb.toMapValues({ ':zero': -delta }) } });"
            " return { operation: 'TransactWriteItems',"
            " transactItems: [step(ctx.args.from, -1), step(ctx.args.to, 1)] };",
            "if (ctx.error) { return ctx.result.cancellationReasons.map((r) => r.type); }"
            " return ctx.result.keys.map((k) => k.pk);",
        ),
    ),
    ("Query", "echo"): ("none", unit("return { payload: ctx.args.value };")),
    ("Query", "lambda"): (
        "fn",
        unit("return { operation: 'Invoke', payload: { value: ctx.args.value } };"),
    ),
    ("Query", "who"): (
        "none",
        unit(
            "return { payload: { sub: ctx.identity?.sub ?? null, authType: util.authType(),"
            " fields: ctx.info.selectionSetList } };"
        ),
    ),
    ("Query", "filtered"): (
        "none",
        unit(
            "extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter("
            "{ n: { gt: 1 } })); return { payload: 1 };"
        ).replace("import { util }", "import { util, extensions }"),
    ),
    ("Query", "info"): (
        "none",
        unit(
            "return { payload: JSON.stringify({ keys: Object.keys(ctx.info),"
            " variables: ctx.info.variables, again: ctx.info.variables === ctx.info.variables }) };"
        ),
    ),
    ("Query", "replacedVariables"): (
        "none",
        unit(
            "ctx.info.variables = { mine: 1 };"
            " return { payload: JSON.stringify(ctx.info.variables) };"
        ),
    ),
    ("Query", "warned"): (
        "none",
        unit("util.appendError('only partly', 'Partial'); return { payload: 3 };"),
    ),
}
PIPED = textwrap.dedent(
    f"""{DDB}
    export function request(ctx) {{ ctx.stash.trail = ['before']; return {{ from: 'before' }}; }}
    export function response(ctx) {{
      return [...ctx.stash.trail, 'after:' + ctx.prev.result].join(',');
    }}
    """
)
STEP_ONE = unit(
    "ctx.stash.trail.push('one:' + ctx.prev.result.from);"
    " if (ctx.args.skip) { runtime.earlyReturn('skipped'); } return { payload: 'one' };",
    "ctx.stash.trail.push('one-response'); return ctx.result;",
).replace("import { util }", "import { util, runtime }")
STEP_TWO = unit("ctx.stash.trail.push('two:' + ctx.prev.result); return { payload: 'two' };")


@pytest.fixture
def services(aws_env, tmp_path):
    handler = tmp_path / "echo.py"
    handler.write_text(
        "def handler(event, context):\n"
        "    if event['value'] == 'boom':\n"
        "        raise ValueError('it went boom')\n"
        "    return event['value'].upper()\n"
    )
    lambdas = LambdaRuntime()
    lambdas.register(
        FunctionSpec(
            name="echo",
            arn="arn:aws:lambda:us-east-1:123456789012:function:echo",
            handler="echo.handler",
            code_root=tmp_path,
        )
    )
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="items",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "kind")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byKind",
                    "KeySchema": [
                        {"AttributeName": "kind", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield client, lambdas


def config(client, lambdas, resolvers=RESOLVERS, schema=SCHEMA) -> ApiConfig:
    return ApiConfig(
        schema=schema,
        auth=AuthConfig(default_mode="AMAZON_COGNITO_USER_POOLS", additional_modes=("API_KEY",)),
        resolvers=[
            *(
                ResolverConfig(type_name=t, field_name=f, code=code, data_source=source)
                for (t, f), (source, code) in resolvers.items()
            ),
            ResolverConfig(
                type_name="Query",
                field_name="piped",
                code=PIPED,
                kind="PIPELINE",
                functions=("f1", "f2"),
            ),
        ],
        data_sources={
            "table": DynamoDbSource(client, "items"),
            "none": NoneSource(),
            "fn": LambdaSource(lambdas, "arn:aws:lambda:us-east-1:123456789012:function:echo"),
        },
        functions={
            "f1": FunctionConfig(name="one", data_source="none", code=STEP_ONE),
            "f2": FunctionConfig(name="two", data_source="none", code=STEP_TWO),
        },
    )


@pytest.fixture
def api(services):
    engine = GraphQLEngine(config(*services))
    yield engine
    engine.close()


USER = Caller.cognito({"sub": "u-1"})


def call(api: GraphQLEngine, query: str, **variables) -> dict:
    response = api.execute(query, USER, variables=variables)
    assert response.status == 200
    return response.body


def test_put_get_update_delete_with_conditions(api, services):
    client, _ = services
    assert call(api, 'mutation { put(pk: "A", sk: "1", n: 5) { pk n kind } }') == {
        "data": {"put": {"pk": "A", "n": 5, "kind": "thing"}}
    }
    again = call(api, 'mutation { put(pk: "A", sk: "1") { pk } }')
    assert again["data"] == {"put": None}
    assert again["errors"][0]["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert call(api, 'mutation { bump(pk: "A", sk: "1") { n } }')["data"] == {"bump": {"n": 6}}
    missing = call(api, 'mutation { bump(pk: "A", sk: "2") { n } }')
    assert missing["errors"][0]["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert "Item" not in client.get_item(
        TableName="items", Key={"pk": {"S": "A"}, "sk": {"S": "2"}}
    )
    assert call(api, '{ item(pk: "A", sk: "1") { n } }')["data"] == {"item": {"n": 6}}
    assert call(api, 'mutation { remove(pk: "A", sk: "1") { n } }')["data"] == {"remove": {"n": 6}}
    assert call(api, '{ item(pk: "A", sk: "1") { n } }')["data"] == {"item": None}


def test_query_pages_through_an_index_backwards_with_a_filter(api):
    for number in range(5):
        call(api, f'mutation {{ put(pk: "P{number}", sk: "{number}", n: {number}) {{ pk }} }}')
    query = (
        "query($next: String, $min: Int) {"
        ' byKind(kind: "thing", limit: 2, nextToken: $next, minN: $min)'
        " { items { sk } nextToken } }"
    )
    first = call(api, query)["data"]["byKind"]
    assert [i["sk"] for i in first["items"]] == ["4", "3"]
    second = call(api, query, next=first["nextToken"])["data"]["byKind"]
    assert [i["sk"] for i in second["items"]] == ["2", "1"]
    filtered = call(api, query, min=3)["data"]["byKind"]
    assert [i["sk"] for i in filtered["items"]] == ["4", "3"]
    # A token belongs to its query: with another filter it is refused, not misapplied.
    foreign = call(api, query, next=first["nextToken"], min=1)
    assert foreign["errors"][0]["errorType"] == "DynamoDB:ValidationException"
    forged = call(api, query, next="not-a-token")
    assert forged["errors"][0]["errorType"] == "DynamoDB:ValidationException"


def test_batch_get_answers_in_key_order_with_nulls(api):
    call(api, 'mutation { put(pk: "X", sk: "A", n: 1) { pk } }')
    call(api, 'mutation { put(pk: "Z", sk: "A", n: 3) { pk } }')
    many = call(api, '{ many(keys: ["Z", "missing", "X"]) { pk n } }')["data"]["many"]
    assert many == [{"pk": "Z", "n": 3}, None, {"pk": "X", "n": 1}]


def test_transact_get_and_scan(api):
    call(api, 'mutation { put(pk: "X", sk: "A", n: 1) { pk } }')
    call(api, 'mutation { put(pk: "Y", sk: "A", n: 2) { pk } }')
    pair = call(api, '{ pair(a: "Y", b: "nothing") { pk n } }')["data"]["pair"]
    assert pair == [{"pk": "Y", "n": 2}, None]
    query = "query($n: String) { everything(limit: 1, nextToken: $n) { items { pk } nextToken } }"
    first = call(api, query)["data"]["everything"]
    second = call(api, query, n=first["nextToken"])["data"]["everything"]
    assert sorted(i["pk"] for i in first["items"] + second["items"]) == ["X", "Y"]


def test_transactions_commit_together_or_report_why_not(api, services):
    client, _ = services
    call(api, 'mutation { put(pk: "from", sk: "A", n: 1) { pk } }')
    call(api, 'mutation { put(pk: "to", sk: "A", n: 0) { pk } }')
    ok = call(api, 'mutation { transfer(from: "from", to: "to") }')
    assert ok["data"] == {"transfer": ["from", "to"]}
    refused = call(api, 'mutation { transfer(from: "from", to: "to") }')
    assert refused["data"] == {"transfer": ["ConditionalCheckFailed", "None"]}
    to = client.get_item(TableName="items", Key={"pk": {"S": "to"}, "sk": {"S": "A"}})["Item"]
    assert to["n"] == {"N": "1"}  # the cancelled transaction wrote nothing


def test_pipelines_carry_stash_and_prev_and_honour_early_return(api):
    assert (
        call(api, "{ piped }")["data"]["piped"]
        == "before,one:before,one-response,two:one,after:two"
    )
    assert (
        call(api, "{ piped(skip: true) }")["data"]["piped"]
        == "before,one:before,two:skipped,after:two"
    )


def test_none_lambda_identity_and_selection(api):
    assert call(api, '{ echo(value: "hi") }')["data"] == {"echo": "hi"}
    assert call(api, '{ lambda(value: "hi") }')["data"] == {"lambda": "HI"}
    failed = call(api, '{ lambda(value: "boom") }')["errors"][0]
    assert (failed["errorType"], failed["message"]) == ("Lambda:Unhandled", "it went boom")
    who = call(api, "{ who { sub authType fields } }")["data"]["who"]
    assert who == {
        "sub": "u-1",
        "authType": "User Pool Authorization",
        "fields": ["sub", "authType", "fields"],
    }


def test_appended_errors_keep_the_data(api):
    body = call(api, "{ warned }")
    assert body["data"] == {"warned": 3}
    assert body["errors"][0]["errorType"] == "Partial"
    assert body["errors"][0]["path"] == ["warned"]


def test_resolver_extensions_reach_the_transport(api):
    response = api.execute("{ filtered }", USER)
    assert response.body == {"data": {"filtered": 1}}
    assert response.extensions == {
        "subscriptionFilter": {
            "filterGroup": [{"filters": [{"fieldName": "n", "operator": "gt", "value": 1}]}]
        }
    }


def test_appsync_error_shapes(api):
    unauthorized = api.execute('{ echo(value: "x") }', Caller.api_key()).body
    assert unauthorized == {
        "data": {"echo": None},
        "errors": [
            {
                "path": ["echo"],
                "data": None,
                "errorType": "Unauthorized",
                "errorInfo": None,
                "locations": [{"line": 1, "column": 3, "sourceName": None}],
                "message": "Not Authorized to access echo on type Query",
            }
        ],
    }
    invalid = call(api, "{ nope }")
    assert invalid["data"] is None
    assert invalid["errors"][0]["message"].startswith("Validation error")
    assert invalid["errors"][0]["path"] is None
    syntax = call(api, "{ echo(")
    assert syntax["errors"][0]["message"].startswith("Invalid Syntax")
    bad_variable = call(
        api, 'query($v: Int) { byKind(kind: "x", limit: $v) { nextToken } }', v="two"
    )
    assert bad_variable["data"] is None and "Variable '$v'" in bad_variable["errors"][0]["message"]


def test_an_api_appsync_would_refuse_is_refused(services):
    client, lambdas = services
    forbidden = {
        **RESOLVERS,
        ("Query", "echo"): ("none", unit("let i = 0; i++; return { payload: i };")),
    }
    with pytest.raises(ConfigError, match=r"Query\.echo.*the \+\+ and -- operators"):
        GraphQLEngine(config(client, lambdas, forbidden))
    unknown_field = {**RESOLVERS, ("Query", "nothing"): ("none", unit("return {};"))}
    with pytest.raises(ConfigError, match=r"Query\.nothing: the schema has no such field"):
        GraphQLEngine(config(client, lambdas, unknown_field))
    unknown_source = {**RESOLVERS, ("Query", "echo"): ("elsewhere", unit("return {};"))}
    with pytest.raises(ConfigError, match="no data source named 'elsewhere'"):
        GraphQLEngine(config(client, lambdas, unknown_source))
    with pytest.raises(ConfigError, match="the schema is not valid"):
        GraphQLEngine(config(client, lambdas, schema=SCHEMA + "type Broken { x: Missing }"))


def test_fragments_spread_twice_per_level_cost_linear_work(api):
    """The probe's query: 30 levels, each spreading the next twice (2^30 paths if followed)."""
    levels = 30
    fragments = " ".join(
        f"fragment L{i} on Who {{ ...L{i + 1} ...L{i + 1} }}" for i in range(levels)
    )
    query = f"{{ who {{ ...L0 }} }} {fragments} fragment L{levels} on Who {{ sub fields }}"
    who = call(api, query)["data"]["who"]
    assert who["fields"] == ["sub", "fields"]


def test_fields_past_the_query_depth_limit_fail_as_appsync_says(services):
    engine = GraphQLEngine(replace(config(*services), query_depth_limit=1))
    try:
        body = engine.execute('{ who { sub } echo(value: "x") }', USER).body
    finally:
        engine.close()
    assert body["data"] == {"who": {"sub": None}, "echo": "x"}
    [error] = body["errors"]
    assert (error["path"], error["errorType"]) == (["who", "sub"], "QueryDepthLimitReached")
    assert error["message"] == "Query depth limit of 1 reached."


def test_resolvers_past_the_count_limit_do_not_run(services):
    engine = GraphQLEngine(replace(config(*services), resolver_count_limit=2))
    try:
        body = engine.execute(
            'mutation { a: put(pk: "p", sk: "1") { pk } b: put(pk: "p", sk: "2") { pk }'
            ' c: put(pk: "p", sk: "3") { pk } }',
            USER,
        ).body
    finally:
        engine.close()
    assert body["data"] == {"a": {"pk": "p"}, "b": {"pk": "p"}, "c": None}
    [error] = body["errors"]
    assert (error["path"], error["errorType"]) == (["c"], "ResolverExecutionLimitReached")
    client, _ = services
    stored = client.scan(TableName="items")["Items"]
    assert sorted(item["sk"]["S"] for item in stored) == ["1", "2"]


def test_without_a_limit_the_count_is_appsyncs_default(services):
    engine = GraphQLEngine(config(*services))
    aliases = " ".join(f'e{i}: echo(value: "{i}")' for i in range(10_001))
    try:
        body = engine.execute(f"{{ {aliases} }}", USER).body
    finally:
        engine.close()
    assert body["data"]["e9999"] == "9999" and body["data"]["e10000"] is None
    assert [e["errorType"] for e in body["errors"]] == ["ResolverExecutionLimitReached"]


class Exploding:
    def call(self, request):
        raise RuntimeError("secret internals at /srv/app.py:12")


def test_an_engine_fault_is_logged_not_shown(services, caplog):
    client, lambdas = services
    settings = config(client, lambdas)
    engine = GraphQLEngine(
        replace(settings, data_sources={**settings.data_sources, "none": Exploding()})
    )
    try:
        body = engine.execute('{ echo(value: "x") }', USER).body
    finally:
        engine.close()
    [error] = body["errors"]
    assert (error["errorType"], error["message"]) == (
        "InternalFailure",
        "An internal failure occurred.",
    )
    assert "secret internals" not in str(body)
    assert "secret internals" in caplog.text


def test_a_cancelled_request_resolves_nothing_more(api, services):
    gone = threading.Event()
    gone.set()
    body = api.execute('mutation { put(pk: "p", sk: "gone") { pk } }', USER, cancelled=gone).body
    assert body["data"] == {"put": None}
    assert body["errors"][0]["errorType"] == "RequestCancelled"
    client, _ = services
    assert client.scan(TableName="items")["Items"] == []


def test_a_query_sent_again_is_not_parsed_or_validated_again(api, monkeypatch):

    validations = []
    validate = engine_module.validate
    monkeypatch.setattr(
        engine_module, "validate", lambda *a: (validations.append(1), validate(*a))[1]
    )
    for value in ("a", "b", "c"):
        assert call(api, "query($v: String) { echo(value: $v) }", v=value)["data"]["echo"] == value
    assert len(validations) == 1
    assert call(api, "{ nope }")["errors"][0]["message"].startswith("Validation error")
    assert call(api, "{ nope }")["errors"][0]["message"].startswith("Validation error")
    assert len(validations) == 2  # refusals are kept too
    long_query = '{ echo(value: "x") }' + " " * 10_000
    call(api, long_query)
    call(api, long_query)
    assert len(validations) == 4  # a long query is checked each time: the cache stays small


def test_a_repeated_query_works_out_each_field_s_selection_set_once(api):
    query = "{ who { sub authType fields } }"
    first = call(api, query)["data"]["who"]["fields"]
    before = engine_module.selections_computed()
    for _ in range(5):
        assert call(api, query)["data"]["who"]["fields"] == first
    assert engine_module.selections_computed() == before  # the kept query's nodes, printed once
    other = call(api, "{ who { fields } }")["data"]["who"]["fields"]
    assert other == ["fields"]
    assert engine_module.selections_computed() == before + 1


def test_handlers_see_the_request_s_variables_in_ctx_info(api, monkeypatch):
    """`ctx.info.variables` holds every variable of the request, in its place among `ctx.info`'s
    keys; it is serialized once for all the request's fields, and a handler may replace it."""
    serialized = []
    real_json = engine_module.json
    counting = SimpleNamespace(
        dumps=lambda value, **kw: (serialized.append(value), real_json.dumps(value, **kw))[1]
    )
    monkeypatch.setattr(engine_module, "json", counting)
    query = (
        "query($v: String, $n: Int)"
        " { a: info(value: $v) b: info(value: $v) replacedVariables(n: $n) }"
    )
    answer = call(api, query, v="x", n=2)
    assert "errors" not in answer, answer
    data = answer["data"]
    for alias in ("a", "b"):
        seen = json.loads(data[alias])
        assert seen["keys"] == [
            "fieldName",
            "parentTypeName",
            "variables",
            "selectionSetList",
            "selectionSetGraphQL",
        ]
        assert seen["variables"] == {"v": "x", "n": 2}
        assert seen["again"] is True
    assert json.loads(data["replacedVariables"]) == {"mine": 1}
    assert serialized == [{"v": "x", "n": 2}]
