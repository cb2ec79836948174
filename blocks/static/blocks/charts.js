// Draws each CHART element's canvas with Chart.js (vendored: scripts/chartjs.sh). The numbers
// are in the canvas's data-chart attribute and, for readers without JavaScript, in the table
// beside it (class chart-data). A canvas is drawn once, however many charts load this file.
(function () {
  function draw() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]:not([data-drawn])").forEach(function (canvas) {
      var config = JSON.parse(canvas.getAttribute("data-chart"));
      canvas.setAttribute("data-drawn", "1");
      var names = Object.keys(config.series);
      new Chart(canvas, {
        type: config.type,
        data: {
          labels: config.labels,
          datasets: names.map(function (name) {
            return { label: name, data: config.series[name] };
          }),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: config.type === "pie" || names.length > 1 } },
        },
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSwap", draw);
})();
