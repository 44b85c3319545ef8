import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Amplify } from 'aws-amplify';
import { amplifyConfig, parseAppConfig } from './appConfig.js';
import { App } from './App';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

/** config.json sits beside index.html: the local cloud's or a deployed stack's endpoints. */
async function start() {
  try {
    const answer = await fetch('config.json', { cache: 'no-store' });
    if (!answer.ok) throw new Error(`config.json: HTTP ${answer.status}; run \`make web-config\``);
    const config = parseAppConfig(await answer.json());
    Amplify.configure(amplifyConfig(config));
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  } catch (error) {
    root.render(
      <main className="page">
        <h1>Slate cannot start</h1>
        <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
      </main>,
    );
  }
}

void start();
