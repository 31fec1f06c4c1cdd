//! The drop as a person reads it (plotters, SVG): per family, deliveries a second and the slowest
//! arrival-to-handler lag of each second with its goal drawn; the events queue's depth; each table's
//! and index's write units a second with the limit it started with.

use plotters::prelude::*;

use crate::arrivals::{Drop, Family};
use crate::run::Outcome;

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 95, 168),
    RGBColor(214, 120, 24),
    RGBColor(44, 150, 70),
    RGBColor(190, 40, 50),
];
const GOAL: RGBColor = RGBColor(120, 120, 120);

/// One panel: its title, the y axis, and its lines (name, colour, value per second).
struct Panel {
    title: &'static str,
    y: &'static str,
    lines: Vec<(String, RGBColor, Vec<f64>)>,
    /// A logarithmic y axis (lags from 10 ms to minutes, goals included).
    log: bool,
}

/// Per family: deliveries in each second, and the slowest lag of the handlers that ran in it (of
/// the events no handler failure held back: theirs is the visibility timeout, reported apart).
fn per_family(drop: &Drop, out: &Outcome, seconds: usize) -> (Panel, Panel) {
    let held = crate::report::held_back(drop, out);
    let mut arrivals = vec![vec![0.0; seconds]; Family::ALL.len()];
    let mut lag = vec![vec![0.0f64; seconds]; Family::ALL.len()];
    for (i, e) in drop.events.iter().enumerate() {
        let f = Family::ALL.iter().position(|f| *f == e.family).unwrap_or(0);
        let Some(arrived) = out.arrived[i] else {
            continue;
        };
        arrivals[f][((arrived / 1000.0) as usize).min(seconds - 1)] += 1.0;
        if let (Some(at), false) = (out.handled[i], held[i]) {
            let s = ((at / 1000.0) as usize).min(seconds - 1);
            lag[f][s] = lag[f][s].max((at - arrived) / 1000.0);
        }
    }
    let named = |series: Vec<Vec<f64>>| -> Vec<(String, RGBColor, Vec<f64>)> {
        Family::ALL
            .iter()
            .zip(series)
            .enumerate()
            .filter(|(_, (_, v))| v.iter().any(|x| *x > 0.0))
            .map(|(n, (f, v))| (f.name().to_string(), COLORS[n % COLORS.len()], v))
            .collect()
    };
    let mut lags = named(lag);
    for (name, goal) in [
        ("admissions goal (p99 2 s)", 2.0),
        ("draw and auction goal (p99 10 s)", 10.0),
    ] {
        lags.push((name.to_string(), GOAL, vec![goal; seconds]));
    }
    (
        Panel {
            title: "deliveries a second, per family",
            y: "deliveries/s",
            lines: named(arrivals),
            log: false,
        },
        Panel {
            title:
                "slowest arrival-to-handler lag of each second (no handler failure), with the goals",
            y: "lag (s, log scale)",
            lines: lags,
            log: true,
        },
    )
}

fn tables(out: &Outcome, seconds: usize) -> Panel {
    let mut lines = Vec::new();
    for (n, load) in out.table_loads.iter().enumerate() {
        let color = COLORS[n % COLORS.len()];
        let mut units = load.per_second.clone();
        units.resize(seconds, 0.0);
        lines.push((load.name.to_string(), color, units));
        let limit = format!("{} limit at the start", load.name);
        lines.push((limit, lighter(color), vec![load.limit; seconds]));
    }
    Panel {
        title: "DynamoDB write units a second, per table and index",
        y: "write units/s",
        lines,
        log: false,
    }
}

/// Half way to white: a limit beside the load it limits.
fn lighter(RGBColor(r, g, b): RGBColor) -> RGBColor {
    let half = |c: u8| c + (255 - c) / 2;
    RGBColor(half(r), half(g), half(b))
}

fn draw(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &Panel,
    seconds: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    if panel.log {
        // Drawn as log10 of the value on a linear axis, labelled with the values.
        let log = Panel {
            title: panel.title,
            y: panel.y,
            lines: panel
                .lines
                .iter()
                .map(|(n, c, v)| {
                    (
                        n.clone(),
                        *c,
                        v.iter().map(|x| x.max(0.01).log10()).collect(),
                    )
                })
                .collect(),
            log: false,
        };
        return chart(area, &log, seconds, -2.0, log_top(&log), true);
    }
    // A limit far above the load (a warmed stack) would flatten the load: the axis stops at 1.5x
    // the highest load when a line is a constant above it.
    let load_max = panel
        .lines
        .iter()
        .filter(|(_, _, v)| v.windows(2).any(|w| w[0] != w[1]))
        .flat_map(|(_, _, v)| v.iter().copied())
        .fold(0.0, f64::max);
    let all_max = panel
        .lines
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .fold(0.0, f64::max);
    let top = if all_max > 3.0 * load_max.max(1.0) {
        load_max * 1.5
    } else {
        all_max * 1.1
    }
    .max(1.0);
    chart(area, panel, seconds, 0.0, top, false)
}

/// The top of a log panel: a decade above its highest line.
fn log_top(panel: &Panel) -> f64 {
    let max = panel
        .lines
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .fold(-2.0, f64::max);
    max.ceil() + 0.5
}

fn label(v: f64, top: f64, log: bool) -> String {
    match (log, top >= 10.0) {
        (true, _) => {
            let value = 10f64.powf(v);
            if value >= 1.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.2}")
            }
        }
        (false, true) => format!("{v:.0}"),
        (false, false) => format!("{v:.1}"),
    }
}

fn chart(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &Panel,
    seconds: usize,
    bottom: f64,
    top: f64,
    log: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..seconds as f64, bottom..top)?;
    let y_labels = if log { (top - bottom) as usize + 1 } else { 10 };
    chart
        .configure_mesh()
        .x_desc("seconds from the drop's start")
        .y_desc(panel.y)
        .y_labels(y_labels)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| label(*v, top, log))
        .draw()?;
    for (name, color, values) in &panel.lines {
        let color = *color;
        let points = values
            .iter()
            .enumerate()
            .map(|(s, v)| (s as f64, v.min(top)));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The plot as an SVG document.
pub fn svg(drop: &Drop, out: &Outcome) -> Result<String, Box<dyn std::error::Error>> {
    let seconds = out.arrivals.len().max(out.depth.len()).max(2);
    let (deliveries, lags) = per_family(drop, out, seconds);
    let depth = Panel {
        title: "messages on the events queue",
        y: "messages",
        lines: vec![(
            "events queue".to_string(),
            COLORS[0],
            out.depth.iter().map(|&d| d as f64).collect(),
        )],
        log: false,
    };
    let panels = [deliveries, lags, depth, tables(out, seconds)];
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (1100, 1400)).into_drawing_area();
        root.fill(&WHITE)?;
        for (area, panel) in root.split_evenly((panels.len(), 1)).iter().zip(&panels) {
            draw(area, panel, seconds)?;
        }
        root.present()?;
    }
    Ok(text)
}
