// The `@aws-appsync/utils` runtime for APPSYNC_JS code run by the local engine.
//
// Evaluated once per engine context, before any resolver code. This file is the engine's own
// code, so it may use the statements resolver code may not (throw, try, while).
//
// Handlers run under a time limit, and the QuickJS binding refuses calls into Python while one
// is set. So everything here is plain JavaScript: each invocation brings the clock reading and
// a random seed with it, and the one fact JavaScript cannot know here (a named time zone's
// offset at an instant) is asked of the host by ending the run with `NeedsHost`; the host
// answers and runs the handler again, which is safe because a handler has no side effects.

"use strict";

// AppSync's runtime has Object.hasOwn (its docs suggest it in place of `in`); this QuickJS lacks it.
if (typeof Object.hasOwn !== "function") {
  Object.defineProperty(Object, "hasOwn", {
    value: (object, key) => Object.prototype.hasOwnProperty.call(object, key),
    writable: true,
    configurable: true,
  });
}

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

class NeedsHost {
  constructor(ask) {
    this.ask = ask;
  }
}

const __state = {
  errors: [],
  extensions: {},
  authType: null,
  nowMs: 0,
  random: null,
  offsets: {},
};

// xoshiro128**, seeded afresh by the host for every invocation (ids, not secrets).
const seededRandom = (seed) => {
  let [a, b, c, d] = seed.map((word) => word >>> 0);
  return () => {
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result >>> 0;
  };
};

const randomBytes = (count) => Array.from({ length: count }, () => __state.random() & 255);
const hex = (bytes) => bytes.map((byte) => byte.toString(16).padStart(2, "0")).join("");

const uuid4 = () => {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const text = hex(bytes);
  return [text.slice(0, 8), text.slice(8, 12), text.slice(12, 16), text.slice(16, 20), text.slice(20)].join("-");
};

const ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ulid = () => {
  let time = __state.nowMs;
  let head = "";
  for (let i = 0; i < 10; i += 1) {
    head = ULID_ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const tail = randomBytes(16).map((byte) => ULID_ALPHABET[byte & 31]).join("");
  return head + tail;
};

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const base64Encode = (text) => {
  const binary = unescape(encodeURIComponent(text));
  let out = "";
  for (let i = 0; i < binary.length; i += 3) {
    const chunk = [0, 1, 2].map((k) => binary.charCodeAt(i + k));
    const bits = (chunk[0] << 16) | ((chunk[1] || 0) << 8) | (chunk[2] || 0);
    const count = Math.min(3, binary.length - i) + 1;
    for (let k = 0; k < 4; k += 1) out += k < count ? BASE64[(bits >> (18 - 6 * k)) & 63] : "=";
  }
  return out;
};
const base64Decode = (text) => {
  const clean = String(text).replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) {
    throw new Error("base64Decode: not base64");
  }
  let binary = "";
  for (let i = 0; i < clean.length; i += 4) {
    const sextets = [0, 1, 2, 3].map((k) => BASE64.indexOf(clean[i + k] ?? "A"));
    const bits = (sextets[0] << 18) | (sextets[1] << 12) | (sextets[2] << 6) | sextets[3];
    const bytes = [(bits >> 16) & 255, (bits >> 8) & 255, bits & 255];
    binary += String.fromCharCode(...bytes.slice(0, Math.min(3, ((clean.length - i) * 3) >> 2)));
  }
  return decodeURIComponent(escape(binary));
};

// Offsets in minutes east of UTC: fixed ones read here, named zones asked of the host.
const FIXED_OFFSET = /^(?:UTC|GMT|Z|Etc\/UTC|Etc\/GMT)?([+-])(\d{2}):?(\d{2})$/;
const offsetMinutes = (ms, zone) => {
  if (["UTC", "Z", "GMT", "Etc/UTC", "Etc/GMT"].includes(zone)) return 0;
  const fixed = FIXED_OFFSET.exec(zone);
  if (fixed) return (fixed[1] === "-" ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  const key = `${zone}@${ms}`;
  if (!Object.hasOwn(__state.offsets, key)) throw new NeedsHost({ zone, ms });
  if (__state.offsets[key] === null) throw new Error(`unknown time zone ${zone}`);
  return __state.offsets[key];
};

const two = (n) => String(n).padStart(2, "0");
const PATTERN_LETTERS = [
  ["yyyy", (d) => String(d.getUTCFullYear()).padStart(4, "0")],
  ["MM", (d) => two(d.getUTCMonth() + 1)],
  ["dd", (d) => two(d.getUTCDate())],
  ["HH", (d) => two(d.getUTCHours())],
  ["mm", (d) => two(d.getUTCMinutes())],
  ["ss", (d) => two(d.getUTCSeconds())],
  ["SSS", (d) => String(d.getUTCMilliseconds()).padStart(3, "0")],
  ["XXX", (d, offset) => (offset ? zoneText(offset, ":") : "Z")],
  ["Z", (d, offset) => zoneText(offset, "")],
];
const zoneText = (offset, separator) =>
  `${offset < 0 ? "-" : "+"}${two(Math.floor(Math.abs(offset) / 60))}${separator}${two(Math.abs(offset) % 60)}`;

// A DateTimeFormatter pattern (the common letters) as the pieces that format an instant; the
// first patterns a runtime meets (resolver code's own) are read once and kept.
const compiledPatterns = new Map();
const KEPT_PATTERNS = 64;
const compilePattern = (pattern) => {
  const pieces = [];
  let index = 0;
  while (index < pattern.length) {
    if (pattern[index] === "'") {
      const end = pattern.indexOf("'", index + 1);
      if (end < 0) throw new Error(`unterminated quote in date pattern ${pattern}`);
      const literal = pattern.slice(index + 1, end) || "'";
      pieces.push(() => literal);
      index = end + 1;
      continue;
    }
    const letter = PATTERN_LETTERS.find(([letters]) => pattern.startsWith(letters, index));
    if (letter) {
      pieces.push(letter[1]);
      index += letter[0].length;
    } else if (/[A-Za-z]/.test(pattern[index])) {
      throw new Error(`unsupported date pattern letter '${pattern[index]}'`);
    } else {
      const literal = pattern[index];
      pieces.push(() => literal);
      index += 1;
    }
  }
  return pieces;
};

// util.time's formatting: `pattern` for the instant `ms` in `zone`.
const formatMs = (ms, pattern, zone) => {
  let pieces = compiledPatterns.get(pattern);
  if (!pieces) {
    pieces = compilePattern(pattern);
    if (compiledPatterns.size < KEPT_PATTERNS) compiledPatterns.set(pattern, pieces);
  }
  const offset = offsetMinutes(ms, zone);
  const shifted = new Date(ms + offset * 60000);
  let out = "";
  for (const piece of pieces) out += piece(shifted, offset);
  return out;
};

// Epoch milliseconds of an ISO 8601 time with a zone (extended format), or null.
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/;
const parseIsoMs = (text) => {
  const match = typeof text === "string" ? ISO_TIME.exec(text) : null;
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const millis = Number((match[7] ?? "0").padEnd(3, "0").slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const moment = new Date(local);
  const valid =
    moment.getUTCFullYear() === year &&
    moment.getUTCMonth() === month - 1 &&
    moment.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  if (!valid) return null;
  const zone = match[8];
  if (zone === "Z") return local;
  const sign = zone[0] === "-" ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0);
  if (offset >= 24 * 60) return null;
  return local - sign * offset * 60000;
};

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
  nowEpochMilliSeconds: () => __state.nowMs,
  nowEpochSeconds: () => Math.floor(__state.nowMs / 1000),
  nowISO8601: () => formatMs(__state.nowMs, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "UTC"),
  nowFormatted: (pattern, zone) => formatMs(__state.nowMs, pattern, zone ?? "UTC"),
  parseISO8601ToEpochMilliSeconds: parseIsoMs,
  epochMilliSecondsToSeconds: (ms) => Math.floor(ms / 1000),
  epochMilliSecondsToISO8601: (ms) => formatMs(ms, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "UTC"),
  epochMilliSecondsToFormatted: (ms, pattern, zone) => formatMs(ms, pattern, zone ?? "UTC"),
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
  autoId: uuid4,
  autoUlid: ulid,
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
  base64Encode,
  base64Decode,
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

// Runs one handler of one module and answers in JSON: its value, how it ended, or what it needs
// the host to answer first. `env` is the invocation's clock reading, random seed and answers.
// `ctx.info.variables` are the request's variables, the same for each of its fields: they come
// as one JSON text per request, read only by a handler that looks at them.
function __withVariables(info, variablesJson) {
  let variables;
  let parsed = false;
  const { fieldName, parentTypeName, ...rest } = info;
  return {
    fieldName,
    parentTypeName,
    get variables() {
      if (!parsed) {
        variables = JSON.parse(variablesJson);
        parsed = true;
      }
      return variables;
    },
    set variables(value) {
      variables = value;
      parsed = true;
    },
    ...rest,
  };
}

function __invoke(moduleId, handler, contextJson, authType, envJson, variablesJson) {
  const env = JSON.parse(envJson);
  __state.errors = [];
  __state.extensions = {};
  __state.authType = authType;
  __state.nowMs = env.nowMs;
  __state.random = seededRandom(env.seed);
  __state.offsets = env.offsets;
  const ctx = JSON.parse(contextJson);
  if (variablesJson !== null && ctx.info) ctx.info = __withVariables(ctx.info, variablesJson);
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
    if (thrown instanceof NeedsHost) return JSON.stringify({ outcome: "needsHost", ask: thrown.ask });
    // QuickJS hands a catch a null for an allocation that failed, or, when the failure came
    // while it built an error, its own InternalError.
    const outOfMemory =
      thrown === null ||
      thrown === undefined ||
      (thrown?.name === "InternalError" && thrown?.message === "out of memory");
    if (outOfMemory) return JSON.stringify({ outcome: "outOfMemory" });
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
