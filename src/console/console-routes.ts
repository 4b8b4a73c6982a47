import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { OPERATOR_COOKIE, sameOrigin, sameSecret, type OperatorSessions } from '../admin';
import { documented, readRawBody } from '../http';
import { CONSOLE_API } from './console-api';
import { loadConsoleAssets } from './console-assets';
import { consolePage, loginPage } from './console-page';

export interface ConsoleRoutesDeps {
  /** WAGGLE_ADMIN_TOKEN: what an operator types to sign in; while unset nobody can. */
  adminToken: string | undefined;
  sessions: OperatorSessions;
}

/** A sign-in form is a few hundred bytes; anything bigger is not one. */
const LOGIN_BODY_LIMIT = 4_096;

/**
 * The operations console under /console: a sign-in form that trades the admin token for a session cookie
 * (HttpOnly, SameSite=Strict; the token never appears in a URL), the page, and its assets. The page itself
 * calls the /v1/admin API with that cookie.
 */
export function consoleRoutes(deps: ConsoleRoutesDeps): Router {
  const router = new Router();
  const { sessions } = deps;
  const assets = loadConsoleAssets();

  router.get('/console', (ctx) => {
    const session = sessions.find(ctx.cookies.get(OPERATOR_COOKIE));
    const nonce = page(ctx);
    ctx.body = session ? consolePage(nonce, session.csrfToken) : loginPage(nonce);
  });

  router.post('/console/login', async (ctx) => {
    const nonce = page(ctx);
    if (!sameOrigin(ctx)) {
      ctx.status = 403;
      ctx.body = loginPage(nonce, 'This sign-in did not come from the console’s own page.');
      return;
    }
    const token = new URLSearchParams((await readRawBody(ctx, LOGIN_BODY_LIMIT)).toString('utf8')).get(
      'token',
    );
    if (!deps.adminToken) {
      ctx.status = 401;
      ctx.body = loginPage(
        nonce,
        'The admin API is off: set WAGGLE_ADMIN_TOKEN (16+ characters) and restart.',
      );
      return;
    }
    if (!token || !sameSecret(token, deps.adminToken)) {
      ctx.status = 401;
      ctx.body = loginPage(nonce, 'That is not the admin token.');
      return;
    }
    const session = sessions.open();
    ctx.cookies.set(OPERATOR_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: ctx.secure,
      overwrite: true,
    });
    ctx.redirect('/console');
    ctx.status = 303;
  });

  router.post('/console/logout', (ctx) => {
    if (!sameOrigin(ctx)) {
      ctx.status = 403;
      ctx.body = loginPage(page(ctx), 'This sign-out did not come from the console’s own page.');
      return;
    }
    sessions.close(ctx.cookies.get(OPERATOR_COOKIE));
    ctx.cookies.set(OPERATOR_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0 });
    ctx.redirect('/console');
    ctx.status = 303;
  });

  router.get('/console/assets/:file', (ctx) => {
    const asset = assets.get(ctx.params.file as string);
    if (!asset) return; // the problem middleware answers 404
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = asset.body;
  });

  return documented(router, CONSOLE_API);
}

/**
 * Headers of every console page: scripts only from waggle itself (and the import map with this response's
 * nonce), no framing, no caching of a page that may hold a CSRF token. Returns the nonce.
 */
function page(ctx: Context): string {
  const nonce = randomBytes(16).toString('base64');
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set(
    'Content-Security-Policy',
    `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self'; img-src 'self' data:; ` +
      "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  return nonce;
}
