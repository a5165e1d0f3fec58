// harborlight workspace: the network page's graph. Reads #graph's data-graph-url, fetches the
// Cytoscape elements from the same origin, draws them (pan and zoom on), and shows a clicked
// node's evidence in aside#node-detail. Data is only ever written with textContent, never as HTML.
(function () {
  "use strict";

  function clear(element) {
    while (element.firstChild) {
      element.removeChild(element.firstChild);
    }
  }

  function line(parent, tag, text, className) {
    var child = document.createElement(tag);
    child.textContent = text;
    if (className) {
      child.className = className;
    }
    parent.appendChild(child);
    return child;
  }

  function showNode(detail, data) {
    clear(detail);
    line(detail, "h3", data.label);
    line(detail, "p", data.kind === "protected" ? "protected person" : data.kind, "note");
    var list = document.createElement("ul");
    list.className = "plain";
    (data.evidence || []).forEach(function (item) {
      line(list, "li", item);
    });
    detail.appendChild(list);
    if (data.kind === "business") {
      var link = document.createElement("a");
      link.href = "/businesses/" + encodeURIComponent(data.id);
      link.textContent = "Open the business's dossier";
      detail.appendChild(link);
    }
  }

  function showMessage(element, text) {
    clear(element);
    line(element, "p", text, "note");
  }

  // Cytoscape writes a <style> element into the page unless an element with this id exists; the CSP
  // (style-src 'self') would block it, so a marker stands in and app.css gives #graph its position.
  function markStylesheet() {
    var id = "__________cytoscape_stylesheet";
    if (!document.getElementById(id)) {
      var marker = document.createElement("meta");
      marker.id = id;
      document.head.appendChild(marker);
    }
  }

  function draw(container, detail, elements) {
    markStylesheet();
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      userPanningEnabled: true,
      userZoomingEnabled: true,
      boxSelectionEnabled: false,
      layout: { name: "cose", animate: false },
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 120 } },
        { selector: "node[kind = 'business']", style: { "background-color": "#1f5fa8", "shape": "round-rectangle" } },
        { selector: "node[kind = 'controller']", style: { "background-color": "#b3261e", "shape": "diamond" } },
        { selector: "node[kind = 'protected']", style: { "background-color": "#9aa1ad", "shape": "ellipse", "font-style": "italic" } },
        { selector: "edge", style: { "width": 1.5, "line-color": "#c3c8d2", "curve-style": "bezier" } },
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#1d2330" } }
      ]
    });
    cy.on("tap", "node", function (event) {
      showNode(detail, event.target.data());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("graph");
    var detail = document.getElementById("node-detail");
    if (!container || !detail) {
      return;
    }
    if (typeof window.cytoscape !== "function") {
      showMessage(container, "The graph library is not installed (run make install); the tables below hold the same network.");
      return;
    }
    fetch(container.getAttribute("data-graph-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the graph could not be loaded (" + response.status + ")");
        }
        return response.json();
      })
      .then(function (elements) {
        draw(container, detail, elements);
      })
      .catch(function (error) {
        showMessage(container, String(error.message || error));
      });
  });
})();
