// Entry of the offline GraphiQL bundle (see ../../graphiql.go for why it
// exists). Everything this page needs is bundled by build.mjs into ../dist:
// nothing is loaded from a CDN, so it works on networks without internet.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import './main.css';

// The GraphQL endpoint is served by the same binary on the same origin.
const endpoint = '/query';
const wsScheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';

// Queries and mutations go over HTTP POST to /query; subscriptions open a
// WebSocket to ws(s)://<host>/query speaking graphql-ws's protocol
// (subprotocol "graphql-transport-ws"). The toolkit passes the JSON object of
// the header editor as HTTP headers and, for subscriptions, as the
// connection_init payload (where gqlgen's websocket InitFunc finds it).
const fetcher = createGraphiQLFetcher({
  url: endpoint,
  subscriptionUrl: `${wsScheme}//${window.location.host}${endpoint}`,
});

const defaultQuery = `# 行政许可事项清单 · GraphQL
#
# Ctrl-Enter runs the query, Ctrl-Space completes,
# Shift-Ctrl-P prettifies. The schema is under Docs
# (the book icon, top left). Put your token in the
# Headers tab below:
#   {"Authorization": "Bearer <token>"}

{
  __typename
}
`;

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={defaultQuery}
    isHeadersEditorEnabled={true}
    defaultEditorToolsVisibility="headers"
    showPersistHeadersSettings={true}
  >
    {/* The stock logo links to GitHub, which intranet users cannot reach. */}
    <GraphiQL.Logo>
      <span className="catalogue-logo">
        Graph<em>i</em>QL · 行政许可事项清单
      </span>
    </GraphiQL.Logo>
  </GraphiQL>,
);
