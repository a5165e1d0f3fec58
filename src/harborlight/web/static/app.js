// harborlight workspace: the little script every page loads. htmx requests carry the session's
// CSRF token, read from the page's meta tag (the page itself runs no inline script).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) {
    event.detail.headers["X-CSRF-Token"] = meta.content;
  }
});
