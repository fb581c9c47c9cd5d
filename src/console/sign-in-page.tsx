/** The console's sign-in form (a token field), and the page shown while the console is off. */
/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { Layout } from "./layout.tsx";

export const WRONG_TOKEN_MESSAGE = "That token is not this gateway's ADMIN_TOKEN. Check it and try again.";

export const SignInPage: FC<{ error?: string; next?: string }> = ({ error, next }) => (
  <Layout title="Sign in">
    <h1>Sign in to the Homebook console</h1>
    {error && (
      <p id="sign-in-error" class="error" role="alert">
        {error}
      </p>
    )}
    <form class="sign-in" method="post" action="/console/sign-in">
      {next && <input type="hidden" name="next" value={next} />}
      <div>
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus aria-describedby={error ? "sign-in-error token-hint" : "token-hint"} />
        <div id="token-hint" class="muted">
          The value of ADMIN_TOKEN in the gateway's settings.
        </div>
      </div>
      <div>
        <button type="submit">Sign in</button>
      </div>
    </form>
  </Layout>
);

export const ConsoleOffPage: FC = () => (
  <Layout title="Console off">
    <h1>The console is off</h1>
    <p>
      Set <code>ADMIN_TOKEN</code> (16 or more characters, for example the output of <code>openssl rand -hex 16</code>) in the
      gateway's settings and restart it; then sign in here with that token.
    </p>
  </Layout>
);
