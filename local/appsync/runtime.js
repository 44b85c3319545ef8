// The `@aws-appsync/utils` runtime for APPSYNC_JS code run by the local engine.
//
// Evaluated once per engine context, before any resolver code. Python supplies the few things
// JavaScript cannot do here (ids, the clock, time zones, base64) as `__py_*` callables. This file
// is the engine's own code, so it may use the statements resolver code may not (throw, try).

"use strict";

class AppSyncError {
  constructor(message, type, data, info) {
    this.message = message;
    this.type = type ?? null;
    this.data = data ?? null;
    this.info = info ?? null;
  }
}

class EarlyReturn {
  constructor(value) {
    this.value = value;
  }
}

const __state = { errors: [], extensions: {}, authType: null };

const isNull = (value) => value === null || value === undefined;
const typeOfValue = (value) => {
  if (isNull(value)) return "Null";
  if (Array.isArray(value)) return "List";
  if (typeof value === "number") return "Number";
  if (typeof value === "string") return "String";
  if (typeof value === "boolean") return "Boolean";
  return "Map";
};

const toDynamoDB = (value) => {
  if (isNull(value)) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
  return { M: toMapValues(value) };
};

const toMapValues = (object) => {
  const mapped = {};
  for (const [name, value] of Object.entries(object)) {
    if (value !== undefined) mapped[name] = toDynamoDB(value);
  }
  return mapped;
};

const dynamodb = {
  toDynamoDB,
  toMapValues,
  toString: (value) => ({ S: value }),
  toStringSet: (values) => ({ SS: values }),
  toNumber: (value) => ({ N: String(value) }),
  toNumberSet: (values) => ({ NS: values.map(String) }),
  toBinary: (value) => ({ B: value }),
  toBinarySet: (values) => ({ BS: values }),
  toBoolean: (value) => ({ BOOL: value }),
  toNull: () => ({ NULL: true }),
  toList: (values) => ({ L: values.map(toDynamoDB) }),
  toMap: (object) => ({ M: toMapValues(object) }),
};

const time = {
  nowEpochMilliSeconds: () => __py_now_ms(),
  nowEpochSeconds: () => Math.floor(__py_now_ms() / 1000),
  nowISO8601: () => __py_format(__py_now_ms(), "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "UTC"),
  nowFormatted: (pattern, zone) => __py_format(__py_now_ms(), pattern, zone ?? "UTC"),
  parseISO8601ToEpochMilliSeconds: (text) => __py_parse_iso(text),
  epochMilliSecondsToSeconds: (ms) => Math.floor(ms / 1000),
  epochMilliSecondsToISO8601: (ms) => __py_format(ms, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "UTC"),
  epochMilliSecondsToFormatted: (ms, pattern, zone) => __py_format(ms, pattern, zone ?? "UTC"),
};

const toSubscriptionFilter = (filter) => ({
  filterGroup: [
    {
      filters: Object.entries(filter).flatMap(([fieldName, rules]) =>
        Object.entries(rules).map(([operator, value]) => ({ fieldName, operator, value })),
      ),
    },
  ],
});

const util = {
  error: (message, type, data, info) => {
    throw new AppSyncError(message, type, data, info);
  },
  appendError: (message, type, data, info) => {
    __state.errors.push(new AppSyncError(message, type, data, info));
  },
  unauthorized: () => {
    throw new AppSyncError(null, "Unauthorized");
  },
  autoId: () => __py_uuid(),
  autoUlid: () => __py_ulid(),
  authType: () => __state.authType,
  isNull,
  isNullOrEmpty: (value) => isNull(value) || value === "" || (Array.isArray(value) && !value.length),
  isNullOrBlank: (value) => isNull(value) || (typeof value === "string" && !value.trim()),
  defaultIfNull: (value, fallback) => (isNull(value) ? fallback : value),
  defaultIfNullOrEmpty: (value, fallback) => (isNull(value) || value === "" ? fallback : value),
  defaultIfNullOrBlank: (value, fallback) =>
    isNull(value) || (typeof value === "string" && !value.trim()) ? fallback : value,
  isString: (value) => typeof value === "string",
  isNumber: (value) => typeof value === "number",
  isBoolean: (value) => typeof value === "boolean",
  isList: (value) => Array.isArray(value),
  isMap: (value) => typeOfValue(value) === "Map",
  typeOf: typeOfValue,
  matches: (pattern, text) => new RegExp(`^(?:${pattern})$`).test(text),
  base64Encode: (text) => __py_b64encode(text),
  base64Decode: (text) => __py_b64decode(text),
  urlEncode: (text) => encodeURIComponent(text),
  urlDecode: (text) => decodeURIComponent(text),
  escapeJavaScript: (text) => JSON.stringify(text).slice(1, -1),
  time,
  dynamodb,
  str: {
    toUpper: (text) => text.toUpperCase(),
    toLower: (text) => text.toLowerCase(),
    toReplace: (text, search, replacement) => text.split(search).join(replacement),
    normalize: (text, form) => text.normalize(form),
  },
  math: {
    roundNum: (value) => Math.round(value),
    minVal: (a, b) => Math.min(a, b),
    maxVal: (a, b) => Math.max(a, b),
    randomDouble: () => Math.random(),
    randomWithinRange: (low, high) => low + Math.floor(Math.random() * (high - low + 1)),
  },
  transform: { toSubscriptionFilter },
};

const record = (name) => (value) => {
  __state.extensions[name] = value;
};

const __appsync = {
  util,
  runtime: {
    earlyReturn: (value) => {
      throw new EarlyReturn(value);
    },
  },
  extensions: {
    setSubscriptionFilter: record("subscriptionFilter"),
    setSubscriptionInvalidationFilter: record("subscriptionInvalidationFilter"),
    invalidateSubscriptions: record("invalidateSubscriptions"),
    evictFromApiCache: (typeName, fieldName, keys) =>
      record("evictFromApiCache")({ typeName, fieldName, keys }),
  },
};

const __modules = {};

// Runs one handler of one module and answers in JSON: its value, or how it ended.
function __invoke(moduleId, handler, contextJson, authType) {
  __state.errors = [];
  __state.extensions = {};
  __state.authType = authType;
  const ctx = JSON.parse(contextJson);
  const answer = (outcome) =>
    JSON.stringify({
      ...outcome,
      stash: ctx.stash,
      errors: __state.errors,
      extensions: __state.extensions,
    });
  try {
    const value = __modules[moduleId][handler](ctx);
    return answer({ outcome: "value", value: value === undefined ? null : value });
  } catch (thrown) {
    if (thrown instanceof EarlyReturn) {
      return answer({ outcome: "earlyReturn", value: thrown.value ?? null });
    }
    if (thrown instanceof AppSyncError) return answer({ outcome: "error", error: thrown });
    return answer({
      outcome: "error",
      error: new AppSyncError(`${thrown?.name ?? "Error"}: ${thrown?.message ?? thrown}`, "Code"),
    });
  }
}
