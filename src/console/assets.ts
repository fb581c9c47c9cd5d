/** The console's stylesheet and small client scripts, embedded in the binary and served under /console/assets/. */
import { VERSION } from "../base/version.ts";
import css from "./assets/console.css" with { type: "text" };
import live from "./assets/live.client.js" with { type: "text" };
import localTime from "./assets/local-time.client.js" with { type: "text" };
import overview from "./assets/overview.client.js" with { type: "text" };

const ASSETS = {
  "console.css": { type: "text/css; charset=utf-8", body: css },
  "live.js": { type: "text/javascript; charset=utf-8", body: live },
  "local-time.js": { type: "text/javascript; charset=utf-8", body: localTime },
  "overview.js": { type: "text/javascript; charset=utf-8", body: overview },
} as const;

export type AssetName = keyof typeof ASSETS;

/** An asset's URL; the version in it lets browsers cache it until the gateway is upgraded. */
export function assetUrl(name: AssetName): string {
  return `/console/assets/${name}?v=${VERSION}`;
}

/** The asset for a request path's last part, or undefined. */
export function findAsset(name: string): { type: string; body: string } | undefined {
  return Object.hasOwn(ASSETS, name) ? ASSETS[name as AssetName] : undefined;
}
