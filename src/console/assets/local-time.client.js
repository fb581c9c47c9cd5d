// Console: shows each <time datetime> in the operator's time zone and tells the history form that zone.
(() => {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  for (const el of document.querySelectorAll("time[datetime]")) {
    const date = new Date(el.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) el.textContent = format.format(date);
  }
  for (const input of document.querySelectorAll("input[name=tz]")) input.value = String(-new Date().getTimezoneOffset());
})();
