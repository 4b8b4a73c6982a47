import { problemResponse, textResponse, type OpenApiFragment } from '../http';

const html = (description: string) => textResponse(description, 'text/html');
const page = (operationId: string, summary: string, answers: Record<string, unknown>) => ({
  operationId,
  summary,
  tags: ['console'],
  security: [],
  responses: answers,
});

/** OpenAPI description of the console's pages (HTML for people, not an API; listed so every route is). */
export const CONSOLE_API: OpenApiFragment = {
  paths: {
    '/console': {
      get: page('consolePage', 'The operations console, or its sign-in form', {
        '200': html('The console (signed in) or the sign-in form'),
      }),
    },
    '/console/login': {
      post: page('consoleLogin', 'Sign in with the admin token (form field token); sets the session cookie', {
        '303': { description: 'Signed in: back to /console' },
        '401': html('Wrong token, or WAGGLE_ADMIN_TOKEN unset: the form again, saying which'),
        '403': html('The form was not posted from the console’s own origin'),
        '413': problemResponse('Body larger than 4 KiB'),
      }),
    },
    '/console/logout': {
      post: page('consoleLogout', 'Sign out: ends the session', {
        '303': { description: 'Signed out: back to /console' },
        '403': html('Not posted from the console’s own origin'),
      }),
    },
    '/console/assets/{file}': {
      get: {
        ...page('consoleAsset', "One of the console's scripts or its stylesheet", {
          '200': textResponse('The file', 'text/javascript'),
          '404': problemResponse('No such asset'),
        }),
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
  },
};
