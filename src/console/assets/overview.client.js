// Console, overview: fetches the page again every few seconds (data-refresh-ms) and swaps in its charts,
// while the tab is visible; a signed-out session goes back to the sign-in form.
(() => {
  const charts = document.getElementById("overview");
  const updated = document.getElementById("overview-updated");
  const everyMs = Number(charts?.dataset.refreshMs);
  if (!charts || !(everyMs > 0) || !window.fetch || !window.DOMParser) return;
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const res = await fetch(window.location.href, { credentials: "same-origin", headers: { accept: "text/html" } });
      if (res.status === 401 || new URL(res.url).pathname === "/console") return window.location.assign("/console");
      if (!res.ok) return;
      const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("overview");
      if (!next) return window.location.assign("/console");
      charts.replaceChildren(...next.childNodes);
      if (updated) updated.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
    } catch {
      // The gateway restarting or the network gone: the next round tries again.
    }
  };
  setInterval(refresh, everyMs);
})();
