/** The console's page shell: skip link, navigation (Live, History, Overview, Sign out), main landmark, assets. */
/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import { assetUrl, type AssetName } from "./assets.ts";

export type Section = "live" | "history" | "overview" | "call";

const NAV: readonly [Exclude<Section, "call">, string, string][] = [
  ["live", "Live", "/console"],
  ["history", "History", "/console/history"],
  ["overview", "Overview", "/console/overview"],
];

export interface LayoutProps {
  title: string;
  /** The page's place in the navigation; absent on the sign-in page (no navigation). */
  section?: Section;
  scripts?: readonly AssetName[];
  children?: Child;
}

/** One console page. Keyboard order: skip link, navigation, then the page. */
export const Layout: FC<LayoutProps> = ({ title, section, scripts = [], children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · Homebook`}</title>
      <link rel="stylesheet" href={assetUrl("console.css")} />
      {scripts.map((name) => (
        <script src={assetUrl(name)} defer></script>
      ))}
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Homebook</span>
        {section && (
          <nav aria-label="Console">
            <ul>
              {NAV.map(([key, label, href]) => (
                <li>
                  <a href={href} aria-current={key === section ? "page" : undefined}>
                    {label}
                  </a>
                </li>
              ))}
              <li>
                <a href="/console/sign-out">Sign out</a>
              </li>
            </ul>
          </nav>
        )}
      </header>
      <main id="main" tabindex={-1}>
        {children}
      </main>
    </body>
  </html>
);

/** A whole HTML document for a page element. */
export function html(page: Child): string {
  return `<!doctype html>${String(page)}`;
}

/** A page that only says something (not found, store unavailable), inside the console's navigation. */
export const MessagePage: FC<{ title: string; message: string; section?: Section }> = ({ title, message, section = "call" }) => (
  <Layout title={title} section={section}>
    <h1>{title}</h1>
    <p role="alert">{message}</p>
  </Layout>
);
