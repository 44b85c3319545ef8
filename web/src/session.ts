// Who is signed in, from the Cognito ID token Amplify keeps.
import { fetchAuthSession } from 'aws-amplify/auth';

export interface User {
  sub: string;
  email: string;
  groups: string[];
}

/** The signed-in user, or null. */
export async function currentUser(): Promise<User | null> {
  const session = await fetchAuthSession();
  const claims = session.tokens?.idToken?.payload;
  if (!claims) return null;
  const groups = claims['cognito:groups'];
  return {
    sub: String(claims.sub),
    email: String(claims.email ?? claims['cognito:username'] ?? claims.sub),
    groups: Array.isArray(groups) ? groups.map(String) : [],
  };
}

export function canManage(user: User): boolean {
  return user.groups.includes('owners') || user.groups.includes('admins');
}
