// Whether Amplify's real-time connection is up, so the page can say its grid is live.
import { useEffect, useState } from 'react';
import { CONNECTION_STATE_CHANGE, ConnectionState } from 'aws-amplify/api';
import { Hub } from 'aws-amplify/utils';

export function useConnectionState(): ConnectionState {
  const [state, setState] = useState<ConnectionState>(ConnectionState.Disconnected);
  useEffect(
    () =>
      Hub.listen('api', ({ payload }) => {
        if (payload.event === CONNECTION_STATE_CHANGE) {
          setState((payload.data as { connectionState: ConnectionState }).connectionState);
        }
      }),
    [],
  );
  return state;
}
