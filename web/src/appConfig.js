// The app's configuration (config.json, written by `make web-config`) and the Amplify
// configuration made from it. Plain JavaScript so that the Node probe (probe/amplify_probe.mjs)
// configures Amplify exactly as the app does.

/**
 * @typedef {{ username: string, password: string, groups: string[] }} DemoLogin
 * @typedef {{
 *   source: string,
 *   region: string,
 *   graphqlUrl: string,
 *   userPoolId: string,
 *   userPoolClientId: string,
 *   userPoolEndpoint?: string,
 *   demoLogins: DemoLogin[],
 * }} AppConfig
 */

const REQUIRED = ['source', 'region', 'graphqlUrl', 'userPoolId', 'userPoolClientId'];

/**
 * A checked AppConfig; a clear error naming what is missing or wrong.
 * @param {unknown} raw
 * @returns {AppConfig}
 */
export function parseAppConfig(raw) {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('config.json is not a JSON object: write it with `make web-config`');
  }
  const record = /** @type {Record<string, unknown>} */ (raw);
  const missing = REQUIRED.filter((key) => typeof record[key] !== 'string' || record[key] === '');
  if (missing.length > 0) {
    throw new Error(`config.json lacks ${missing.join(', ')}: write it with \`make web-config\``);
  }
  if (!String(record.graphqlUrl).startsWith('https://')) {
    throw new Error('config.json: graphqlUrl must be https:// (Amplify derives wss:// from it)');
  }
  const logins = record.demoLogins ?? [];
  if (!Array.isArray(logins)) throw new Error('config.json: demoLogins must be a list');
  return {
    source: String(record.source),
    region: String(record.region),
    graphqlUrl: String(record.graphqlUrl),
    userPoolId: String(record.userPoolId),
    userPoolClientId: String(record.userPoolClientId),
    ...(typeof record.userPoolEndpoint === 'string'
      ? { userPoolEndpoint: record.userPoolEndpoint }
      : {}),
    demoLogins: logins.map((login) => ({
      username: String(login.username),
      password: String(login.password),
      groups: Array.isArray(login.groups) ? login.groups.map(String) : [],
    })),
  };
}

/**
 * What `Amplify.configure` takes: the Cognito user pool (at the local cloud's endpoint when there
 * is one) and the AppSync API, signed-in calls by default.
 * @param {AppConfig} config
 */
export function amplifyConfig(config) {
  return {
    API: {
      GraphQL: {
        endpoint: config.graphqlUrl,
        region: config.region,
        defaultAuthMode: /** @type {const} */ ('userPool'),
      },
    },
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.userPoolClientId,
        ...(config.userPoolEndpoint ? { userPoolEndpoint: config.userPoolEndpoint } : {}),
      },
    },
  };
}
