// Progressive enhancement: check for new open escalations and announce them.
// Without JavaScript the page still works; reload it to see new ones.
(function () {
  "use strict";
  var table = document.getElementById("open-escalations");
  if (!table || !window.fetch) { return; }
  var body = table.tBodies[0];
  var url = table.getAttribute("data-poll-url");
  var seconds = parseInt(table.getAttribute("data-poll-seconds"), 10) || 10;
  var announcer = document.getElementById("announcer");
  var count = document.getElementById("open-count");
  var status = document.getElementById("poll-status");
  var usual = status.textContent;

  function ids(rows) {
    var found = [];
    for (var i = 0; i < rows.length; i++) {
      var id = rows[i].getAttribute("data-id");
      if (id) { found.push(id); }
    }
    return found;
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.status === 401) {
          status.textContent = "You are logged out. Reload the page to log in again.";
          throw new Error("logged out");
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("tbody");
        holder.innerHTML = html;
        var known = ids(body.rows);
        var fresh = ids(holder.rows);
        var added = fresh.filter(function (id) { return known.indexOf(id) === -1; });
        if (fresh.join() !== known.join()) {
          // Keep keyboard focus where it was if the focused link is still in the list.
          var focused = document.activeElement && body.contains(document.activeElement)
            ? document.activeElement.getAttribute("href") : null;
          body.innerHTML = holder.innerHTML;
          added.forEach(function (id) {
            var row = body.querySelector('tr[data-id="' + id + '"]');
            if (row) {
              row.classList.add("is-new");
              var badge = document.createElement("strong");
              badge.className = "badge";
              badge.textContent = "New";
              row.cells[0].insertBefore(badge, row.cells[0].firstChild);
            }
          });
          if (focused) {
            var again = body.querySelector('a[href="' + focused + '"]');
            if (again) { again.focus(); }
          }
          count.textContent = fresh.length + " open";
          document.title = document.title.replace(/\(\d+\)/, "(" + fresh.length + ")");
        }
        if (added.length) {
          announcer.textContent = added.length === 1
            ? "1 new escalation. " + fresh.length + " open."
            : added.length + " new escalations. " + fresh.length + " open.";
        }
        status.textContent = usual;
        window.setTimeout(check, seconds * 1000);
      })
      .catch(function (error) {
        if (error.message !== "logged out") {
          status.textContent = "Could not check for new escalations. Trying again soon.";
          window.setTimeout(check, seconds * 3000);
        }
      });
  }
  window.setTimeout(check, seconds * 1000);
}());

// An escalation's page: show the person's replies as they arrive, and how long a text is.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  if (thread && window.fetch && thread.getAttribute("data-poll-url")) {
    var url = thread.getAttribute("data-poll-url");
    var seconds = parseInt(thread.getAttribute("data-poll-seconds"), 10) || 10;
    var announcer = document.getElementById("thread-announcer");
    var shown = thread.textContent;
    var keys = function (items) {
      var found = [];
      for (var i = 0; i < items.length; i++) {
        var key = items[i].getAttribute("data-key");
        if (key) { found.push(key); }
      }
      return found;
    };
    var check = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.status === 401) {
            announcer.textContent = "You are logged out. Reload the page to log in again.";
            throw new Error("logged out");
          }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("ol");
          holder.innerHTML = html;
          var known = keys(thread.children);
          var fresh = keys(holder.children);
          if (holder.textContent !== shown) {
            shown = holder.textContent;
            var added = fresh.filter(function (key) { return known.indexOf(key) === -1; });
            thread.innerHTML = holder.innerHTML;
            var replies = 0;
            added.forEach(function (key) {
              var item = thread.querySelector('li[data-key="' + key + '"]');
              if (item) {
                item.classList.add("is-new");
                if (item.getAttribute("data-kind") === "person") { replies++; }
              }
            });
            if (replies) {
              announcer.textContent = replies === 1 ? "1 new text from them." : replies + " new texts from them.";
            }
          }
          window.setTimeout(check, seconds * 1000);
        })
        .catch(function (error) {
          if (error.message !== "logged out") { window.setTimeout(check, seconds * 3000); }
        });
    };
    window.setTimeout(check, seconds * 1000);
  }

  var words = document.getElementById("words");
  var count = document.getElementById("words-count");
  if (words && count) {
    var room = parseInt(words.getAttribute("data-room"), 10) || 0;
    var show = function () {
      var left = room - words.value.length;
      count.textContent = left >= 0
        ? left + " characters left."
        : "Too long by " + (-left) + " characters.";
    };
    words.addEventListener("input", show);
    show();
  }
}());
