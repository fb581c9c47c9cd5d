// Console, live calls: replaces the table's rows from the gateway's server-sent events (about twice a second).
(() => {
  const table = document.getElementById("live-calls");
  if (!table || !window.EventSource) return;
  const body = table.tBodies[0];
  const count = document.getElementById("live-count");
  const columns = table.tHead.rows[0].cells.length;
  const source = new EventSource(table.dataset.events);

  const row = (call, classes) => {
    const tr = document.createElement("tr");
    call.cells.forEach((text, i) => {
      const td = document.createElement("td");
      if (classes[i]) td.className = classes[i];
      if (i === 0) {
        const link = document.createElement("a");
        link.href = call.href;
        link.textContent = text;
        td.append(link);
      } else {
        td.textContent = text;
      }
      tr.append(td);
    });
    return tr;
  };

  const emptyRow = () => {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = columns;
    td.className = "muted";
    td.textContent = "No live calls.";
    tr.append(td);
    return tr;
  };

  source.addEventListener("calls", (event) => {
    const data = JSON.parse(event.data);
    // Keep keyboard focus on the same call's link across the refresh.
    const focused = body.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
    body.replaceChildren(...(data.rows.length ? data.rows.map((call) => row(call, data.classes)) : [emptyRow()]));
    if (focused) body.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
    if (count.textContent !== data.summary) count.textContent = data.summary;
  });
  source.addEventListener("signed-out", () => {
    source.close();
    window.location.assign("/console");
  });
})();
