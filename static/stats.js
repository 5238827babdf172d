/* Charts of the /stats page, drawn with the vendored Chart.js from the JSON in #stats-data. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent || "{}");
  var Chart = window.Chart;
  Chart.defaults.font.family =
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif';
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#333";
  Chart.defaults.animation = false;
  var colours = ["#1f5fa8", "#3c9d5d", "#d9822b", "#c23b3b", "#7a5aa6", "#6b7785", "#2a9d9f", "#b5a22f"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    var chart = new Chart(canvas, config);
    canvas.setAttribute("data-rendered", "true");
    return chart;
  }

  function empty(id) {
    var canvas = document.getElementById(id);
    if (canvas) {
      canvas.setAttribute("data-empty", "true");
    }
  }

  var byYear = data.by_year || [];
  if (byYear.length) {
    draw("chart-years", {
      type: "bar",
      data: {
        labels: byYear.map(function (item) { return item.year + "年"; }),
        datasets: [{ label: "收到申请（件）", data: byYear.map(function (item) { return item.applications; }),
                     backgroundColor: colours[0] }]
      },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  } else {
    empty("chart-years");
  }

  var outcomes = data.outcomes || [];
  if (outcomes.some(function (item) { return item.value > 0; })) {
    draw("chart-outcomes", {
      type: "doughnut",
      data: {
        labels: outcomes.map(function (item) { return item.label; }),
        datasets: [{ data: outcomes.map(function (item) { return item.value; }), backgroundColor: colours }]
      },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "right" } } }
    });
  } else {
    empty("chart-outcomes");
  }

  var issuers = data.top_issuers || [];
  if (issuers.length) {
    draw("chart-issuers", {
      type: "bar",
      data: {
        labels: issuers.map(function (item) { return item.issuer; }),
        datasets: [{ label: "收到申请（件）", data: issuers.map(function (item) { return item.applications; }),
                     backgroundColor: colours[2] }]
      },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
                 plugins: { legend: { display: false } },
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  } else {
    empty("chart-issuers");
  }
})();
