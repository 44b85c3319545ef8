import { useState, type FormEvent } from 'react';
import { signIn } from 'aws-amplify/auth';
import type { AppConfig } from '../appConfig.js';
import { describeError } from '../messages';

/** Email and password (Cognito SRP); on the local cloud, the seeded demo logins too. */
export function SignIn({ config, onSignedIn }: { config: AppConfig; onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await signIn({ username, password });
      if (result.isSignedIn) onSignedIn();
      else setError(`This account needs another step first (${result.nextStep.signInStep}).`);
    } catch (thrown) {
      setError(describeError(thrown));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>Sign in to Slate</h1>
      <form onSubmit={submit}>
        <label>
          Email
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            required
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
      {config.demoLogins.length > 0 && (
        <section aria-label="Demo logins">
          <h2>Demo logins</h2>
          <p>The local cloud seeded these users (password for all: <code>{config.demoLogins[0].password}</code>).</p>
          <ul>
            {config.demoLogins.map((login) => (
              <li key={login.username}>
                <button
                  type="button"
                  onClick={() => {
                    setUsername(login.username);
                    setPassword(login.password);
                  }}
                >
                  Use {login.username}
                </button>{' '}
                {login.groups.length > 0 ? login.groups.join(', ') : 'customer'}
              </li>
            ))}
          </ul>
        </section>
      )}
      <p className="muted">Stack: {config.source}</p>
    </main>
  );
}
