// The live audit stream: new events from the server's Server-Sent Events
// endpoint are added on top of the events table. Without JavaScript the
// page is a list refreshed by reloading.
(function () {
  "use strict";
  var table = document.getElementById("events");
  if (!table || !table.dataset.stream || !window.EventSource) return;
  var body = table.tBodies[0];
  var status = document.getElementById("live-status");
  var cols = ["time", "name", "service", "type", "rw", "user", "ip", "resource", "error"];
  var src = new EventSource(table.dataset.stream);
  src.onopen = function () { if (status) status.textContent = "Live: new events appear on top."; };
  src.onerror = function () { if (status) status.textContent = "Reconnecting…"; };
  src.addEventListener("failure", function (m) {
    if (status) status.textContent = "Live stream stopped: " + JSON.parse(m.data);
    src.close();
  });
  src.addEventListener("trail", function (m) {
    var e = JSON.parse(m.data);
    for (var i = 0; i < body.rows.length; i++) {
      if (body.rows[i].dataset.id === e.id) return;
    }
    var tr = document.createElement("tr");
    tr.dataset.id = e.id;
    tr.className = "new live-event";
    cols.forEach(function (k) {
      var td = document.createElement("td");
      td.textContent = e[k] || "";
      tr.appendChild(td);
    });
    body.insertBefore(tr, body.firstChild);
    var none = document.getElementById("no-events");
    if (none) none.remove();
  });
})();
