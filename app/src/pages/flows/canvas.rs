//! The graph canvas (SVG): nodes with ports, edges, a palette, drag to move,
//! drag from a port to a node to connect, pan (drag the background) and zoom
//! (wheel or buttons), a minimap, multi-select (shift-click), copy and paste,
//! undo and redo, and the keyboard (Delete, arrows, Ctrl+Z/Y/C/V/A). Problems are
//! drawn on the nodes they belong to.
//!
//! It edits a [`FlowGraph`] through an [`Editor`] (the graph, the selection and
//! the history); the flow builder is its first user, and anything drawn as
//! steps and exits (workflows, campaign journeys) reuses it with its own
//! palette. Pointer moves use deltas divided by the zoom, so nothing measures the
//! DOM and the same view renders on the server.

use crate::types::{AskInput, CanvasPoint, FlowEdge, FlowGraph, FlowNode, FlowProblem, NodeKind};
use leptos::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// Width of a node.
pub const NODE_W: f64 = 200.0;
const HEAD: f64 = 26.0;
const BODY: f64 = 22.0;
const ROW: f64 = 18.0;
/// The drawing area's size (CSS keeps it), for "add at the centre".
const VIEW_W: f64 = 900.0;
const VIEW_H: f64 = 560.0;
const MINI_W: f64 = 180.0;
const MINI_H: f64 = 110.0;
const HISTORY: usize = 100;

/// A node's height (it grows with its exits).
pub fn node_height(kind: &NodeKind) -> f64 {
    HEAD + BODY + ROW * kind.ports().len() as f64 + 8.0
}

/// Where a node's exit is drawn.
fn port_at(n: &FlowNode, i: usize) -> CanvasPoint {
    CanvasPoint {
        x: n.position.x + NODE_W,
        y: n.position.y + HEAD + BODY + ROW * i as f64 + ROW / 2.0,
    }
}

fn edge_path(a: CanvasPoint, b: CanvasPoint) -> String {
    let dx = ((b.x - a.x).abs() / 2.0).max(40.0);
    format!(
        "M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
        a.x,
        a.y,
        a.x + dx,
        a.y,
        b.x - dx,
        b.y,
        b.x,
        b.y
    )
}

/// One line about what a node does.
pub fn summary(kind: &NodeKind) -> String {
    let cut = |s: &str| {
        let t: String = s.chars().take(28).collect();
        if s.chars().count() > 28 {
            format!("{t}…")
        } else {
            t
        }
    };
    match kind {
        NodeKind::Start => "When a conversation starts".into(),
        NodeKind::SendMessage { text } => cut(text),
        NodeKind::Ask { prompt, .. } => cut(prompt),
        NodeKind::Condition { branches } => format!("{} branch(es), else", branches.len()),
        NodeKind::SetVariable { variable, .. } => format!("Set {variable}"),
        NodeKind::Action { action } => cut(&match action {
            crate::types::FlowAction::Tag { tag } => format!("Tag: {tag}"),
            crate::types::FlowAction::SetField { key, .. } => format!("Set field {key}"),
            crate::types::FlowAction::SetPriority { priority } => format!("Priority: {priority}"),
            crate::types::FlowAction::Webhook { .. } => "Call a webhook".to_owned(),
            crate::types::FlowAction::CreateTicket { subject, .. } => {
                format!("New ticket: {subject}")
            }
        }),
        NodeKind::AiAnswer => "The AI agent answers".into(),
        NodeKind::SuggestArticle { query } => cut(query),
        NodeKind::Handoff { .. } => "To a person".into(),
        NodeKind::Wait { minutes } => format!("{minutes} min"),
        NodeKind::TicketAction { action } => cut(&format!(
            "{}{}",
            crate::types::RuleAction::kind_label(action.kind()),
            match action {
                crate::types::RuleAction::AddTags { tags }
                | crate::types::RuleAction::RemoveTags { tags } => format!(": {}", tags.join(", ")),
                crate::types::RuleAction::Reply { text }
                | crate::types::RuleAction::Note { text } => format!(": {text}"),
                crate::types::RuleAction::SetStatus { status } => format!(": {status}"),
                crate::types::RuleAction::SetPriority { priority } => format!(": {priority}"),
                _ => String::new(),
            }
        )),
        NodeKind::WaitFor {
            event,
            timeout_mins,
        } => cut(&match timeout_mins {
            Some(m) => format!("Until {} ({m} min)", event.label()),
            None => format!("Until {}", event.label()),
        }),
        NodeKind::SendEmail { subject, .. } => cut(&format!("“{subject}”")),
        NodeKind::SendInApp { message_id } => format!("Message #{message_id}"),
        NodeKind::End => "The flow ends".into(),
    }
}

/// The workspace's segments (id, name), provided by the editor page so the
/// Start step of a campaign names its segment.
#[derive(Clone, Debug, Default)]
pub struct SegmentNames(pub Vec<(i32, String)>);

/// The workspace's targeted messages (id, name), provided by the editor page
/// so an in-app step names its message.
#[derive(Clone, Debug, Default)]
pub struct MessageNames(pub Vec<(i32, String)>);

/// An in-app step's line: its message's name.
fn message_line(id: i32, names: &MessageNames) -> String {
    names.0.iter().find(|(i, _)| *i == id).map_or_else(
        || format!("Message #{id} (not found)"),
        |(_, n)| {
            let t: String = n.chars().take(26).collect();
            format!("“{t}”")
        },
    )
}

/// One line about who enters a campaign.
pub fn entry_summary(e: &crate::types::CampaignEntry, names: &SegmentNames) -> String {
    let name = |id: i32| {
        names
            .0
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| format!("segment {id}"), |(_, n)| format!("“{n}”"))
    };
    if let Some(ev) = &e.event {
        let ev = if ev.is_empty() {
            "(no event named)"
        } else {
            ev
        };
        return match e.segment_id {
            Some(id) => format!("On the event {ev}, members of {}", name(id)),
            None => format!("On the event {ev}"),
        };
    }
    let Some(id) = e.segment_id else {
        return "No segment chosen".into();
    };
    let name = name(id);
    if e.existing {
        format!("Members of {name}")
    } else {
        format!("New members of {name}")
    }
}

/// One line about what starts a workflow.
pub fn trigger_summary(t: &crate::types::WorkflowTrigger) -> String {
    let first = t
        .events
        .first()
        .map_or("No event chosen", |e| e.label())
        .to_owned();
    let more = t.events.len().saturating_sub(1) + usize::from(!t.only_if.is_empty());
    if more > 0 {
        format!("{first} (+{more})")
    } else {
        first
    }
}

/// The node types the palette offers for a flow of this kind (`chatbot`,
/// `workflow`, `campaign`), with a fresh configuration each.
pub fn palette(kind: &str) -> Vec<NodeKind> {
    let all = vec![
        NodeKind::SendMessage {
            text: String::new(),
        },
        NodeKind::Ask {
            prompt: String::new(),
            input: AskInput::Buttons {
                choices: vec!["Yes".into(), "No".into()],
            },
            variable: "answer".into(),
            timeout_mins: None,
            typed: false,
        },
        NodeKind::Condition {
            branches: vec![crate::types::FlowBranch {
                subject: "answer.topic".into(),
                op: crate::types::FlowOp::Is,
                value: String::new(),
            }],
        },
        NodeKind::SetVariable {
            variable: "note".into(),
            value: String::new(),
        },
        NodeKind::Action {
            action: crate::types::FlowAction::Tag { tag: String::new() },
        },
        NodeKind::AiAnswer,
        NodeKind::SuggestArticle {
            query: "{{ first_message }}".into(),
        },
        NodeKind::Handoff {
            team_id: None,
            note: String::new(),
        },
        NodeKind::TicketAction {
            action: crate::types::RuleAction::AddTags { tags: Vec::new() },
        },
        NodeKind::SendEmail {
            subject: String::new(),
            body: String::new(),
        },
        NodeKind::SendInApp { message_id: 0 },
        NodeKind::Wait { minutes: 60 },
        NodeKind::WaitFor {
            event: crate::types::WaitEvent::CustomerReplies,
            timeout_mins: Some(24 * 60),
        },
        NodeKind::End,
    ];
    all.into_iter().filter(|k| k.fits(kind)).collect()
}

/// The graph being edited, the selection and the history.
#[derive(Clone, Copy)]
pub struct Editor {
    /// The graph.
    pub graph: RwSignal<FlowGraph>,
    /// Selected node ids.
    pub selected: RwSignal<BTreeSet<String>>,
    /// The selected edge (source, port).
    pub selected_edge: RwSignal<Option<(String, String)>>,
    undo: StoredValue<Vec<FlowGraph>>,
    redo: StoredValue<Vec<FlowGraph>>,
    /// How many undo steps are available (for the buttons).
    pub depth: RwSignal<(usize, usize)>,
    clipboard: StoredValue<Option<FlowGraph>>,
    /// Changed since the last save.
    pub dirty: RwSignal<bool>,
}

impl Editor {
    /// An editor over `graph`.
    pub fn new(graph: FlowGraph) -> Self {
        Self {
            graph: RwSignal::new(graph),
            selected: RwSignal::new(BTreeSet::new()),
            selected_edge: RwSignal::new(None),
            undo: StoredValue::new(Vec::new()),
            redo: StoredValue::new(Vec::new()),
            depth: RwSignal::new((0, 0)),
            clipboard: StoredValue::new(None),
            dirty: RwSignal::new(false),
        }
    }

    fn remember(&self) {
        let before = self.graph.get_untracked();
        self.undo.update_value(|u| {
            u.push(before);
            if u.len() > HISTORY {
                u.remove(0);
            }
        });
        self.redo.update_value(Vec::clear);
        self.sync_depth();
    }

    fn sync_depth(&self) {
        self.depth.set((
            self.undo.with_value(Vec::len),
            self.redo.with_value(Vec::len),
        ));
    }

    /// Changes the graph as one undoable step.
    pub fn edit(&self, f: impl FnOnce(&mut FlowGraph)) {
        self.remember();
        self.graph.update(f);
        self.dirty.set(true);
    }

    /// Changes the graph without a new undo step (the rest of a drag).
    fn nudge(&self, f: impl FnOnce(&mut FlowGraph)) {
        self.graph.update(f);
        self.dirty.set(true);
    }

    /// Undoes the last step.
    pub fn undo(&self) {
        if let Some(prev) = self.undo.try_update_value(Vec::pop).flatten() {
            let now = self.graph.get_untracked();
            self.redo.update_value(|r| r.push(now));
            self.graph.set(prev);
            self.dirty.set(true);
            self.prune_selection();
        }
        self.sync_depth();
    }

    /// Redoes the last undone step.
    pub fn redo(&self) {
        if let Some(next) = self.redo.try_update_value(Vec::pop).flatten() {
            let now = self.graph.get_untracked();
            self.undo.update_value(|u| u.push(now));
            self.graph.set(next);
            self.dirty.set(true);
            self.prune_selection();
        }
        self.sync_depth();
    }

    fn prune_selection(&self) {
        let ids: BTreeSet<String> = self
            .graph
            .with_untracked(|g| g.nodes.iter().map(|n| n.id.clone()).collect());
        self.selected.update(|s| s.retain(|id| ids.contains(id)));
    }

    /// A fresh id for a node of this type.
    fn fresh_id(g: &FlowGraph, kind: &NodeKind) -> String {
        let base = kind.type_name();
        (1..)
            .map(|i| format!("{base}_{i}"))
            .find(|id| g.node(id).is_none())
            .unwrap_or_else(|| base.to_owned())
    }

    /// Adds a node at `at` and selects it.
    pub fn add(&self, kind: NodeKind, at: CanvasPoint) -> String {
        let mut id = String::new();
        self.edit(|g| {
            id = Self::fresh_id(g, &kind);
            // Not on top of another step.
            let mut at = at;
            while g
                .nodes
                .iter()
                .any(|n| (n.position.x - at.x).abs() < 20.0 && (n.position.y - at.y).abs() < 20.0)
            {
                at.x += 30.0;
                at.y += 30.0;
            }
            g.nodes.push(FlowNode {
                id: id.clone(),
                position: at,
                kind,
            });
        });
        self.selected.set(BTreeSet::from([id.clone()]));
        id
    }

    /// Connects a node's exit to a node (replacing what the exit led to).
    pub fn connect(&self, source: &str, port: &str, target: &str) {
        self.edit(|g| {
            g.edges.retain(|e| !(e.source == source && e.port == port));
            g.edges.push(FlowEdge {
                source: source.into(),
                port: port.into(),
                target: target.into(),
            });
        });
    }

    /// Replaces a node's configuration; connections from exits it no longer
    /// has are removed.
    pub fn set_kind(&self, id: &str, kind: NodeKind) {
        let ports = kind.ports();
        self.edit(|g| {
            if let Some(n) = g.nodes.iter_mut().find(|n| n.id == id) {
                n.kind = kind;
            }
            g.edges
                .retain(|e| e.source != id || ports.contains(&e.port));
        });
    }

    /// Replaces a campaign's entry (one undoable edit).
    pub fn set_entry(&self, entry: crate::types::CampaignEntry) {
        self.edit(|g| g.entry = Some(entry));
    }

    /// Replaces a workflow's trigger (one undoable edit).
    pub fn set_trigger(&self, trigger: crate::types::WorkflowTrigger) {
        self.edit(|g| g.trigger = Some(trigger));
    }

    /// Deletes the selected nodes (never the start) or the selected edge.
    pub fn delete_selection(&self) {
        if let Some((s, p)) = self.selected_edge.get_untracked() {
            self.edit(|g| g.edges.retain(|e| !(e.source == s && e.port == p)));
            self.selected_edge.set(None);
            return;
        }
        let sel = self.selected.get_untracked();
        let doomed: BTreeSet<String> = self.graph.with_untracked(|g| {
            g.nodes
                .iter()
                .filter(|n| sel.contains(&n.id) && n.kind != NodeKind::Start)
                .map(|n| n.id.clone())
                .collect()
        });
        if doomed.is_empty() {
            return;
        }
        self.edit(|g| {
            g.nodes.retain(|n| !doomed.contains(&n.id));
            g.edges
                .retain(|e| !doomed.contains(&e.source) && !doomed.contains(&e.target));
        });
        self.selected.set(BTreeSet::new());
    }

    /// Moves the selected nodes by (dx, dy) as one step.
    pub fn move_selection(&self, dx: f64, dy: f64) {
        let sel = self.selected.get_untracked();
        if sel.is_empty() {
            return;
        }
        self.edit(|g| {
            for n in g.nodes.iter_mut().filter(|n| sel.contains(&n.id)) {
                n.position.x += dx;
                n.position.y += dy;
            }
        });
    }

    /// Copies the selected nodes and the connections between them.
    pub fn copy(&self) {
        let sel = self.selected.get_untracked();
        let part = self.graph.with_untracked(|g| FlowGraph {
            schema: g.schema,
            entry: None,
            trigger: None,
            nodes: g
                .nodes
                .iter()
                .filter(|n| sel.contains(&n.id) && n.kind != NodeKind::Start)
                .cloned()
                .collect(),
            edges: g
                .edges
                .iter()
                .filter(|e| sel.contains(&e.source) && sel.contains(&e.target))
                .cloned()
                .collect(),
        });
        if !part.nodes.is_empty() {
            self.clipboard.set_value(Some(part));
        }
    }

    /// Pastes what was copied, shifted, with new ids, and selects it.
    pub fn paste(&self) {
        let Some(part) = self.clipboard.get_value() else {
            return;
        };
        let mut fresh = BTreeSet::new();
        self.edit(|g| {
            let mut ids = HashMap::new();
            for n in &part.nodes {
                let id = Self::fresh_id(g, &n.kind);
                ids.insert(n.id.clone(), id.clone());
                g.nodes.push(FlowNode {
                    id: id.clone(),
                    position: CanvasPoint {
                        x: n.position.x + 40.0,
                        y: n.position.y + 40.0,
                    },
                    kind: n.kind.clone(),
                });
                fresh.insert(id);
            }
            for e in &part.edges {
                if let (Some(s), Some(t)) = (ids.get(&e.source), ids.get(&e.target)) {
                    g.edges.push(FlowEdge {
                        source: s.clone(),
                        port: e.port.clone(),
                        target: t.clone(),
                    });
                }
            }
        });
        // The next paste lands further along.
        self.clipboard.update_value(|c| {
            if let Some(c) = c {
                for n in &mut c.nodes {
                    n.position.x += 40.0;
                    n.position.y += 40.0;
                }
            }
        });
        self.selected.set(fresh);
    }
}

#[derive(Clone)]
enum Drag {
    Pan {
        from: (f64, f64),
        pan: (f64, f64),
    },
    Nodes {
        from: (f64, f64),
        start: Vec<(String, CanvasPoint)>,
        moved: bool,
    },
    Connect {
        source: String,
        port: String,
        from: (f64, f64),
        at: CanvasPoint,
    },
}

/// The canvas. `problems` are drawn on their nodes; `current` is highlighted
/// (the preview's step); `badges` are shown under nodes (analytics).
#[component]
pub fn Canvas(
    editor: Editor,
    #[prop(into)] problems: Signal<Vec<FlowProblem>>,
    #[prop(into)] current: Signal<Option<String>>,
    #[prop(into)] badges: Signal<HashMap<String, String>>,
) -> impl IntoView {
    let pan = RwSignal::new((20.0_f64, 20.0_f64));
    let zoom = RwSignal::new(1.0_f64);
    let drag: StoredValue<Option<Drag>> = StoredValue::new(None);
    let linking = RwSignal::new(None::<(CanvasPoint, CanvasPoint)>);
    let g = editor.graph;
    let names = StoredValue::new(use_context::<SegmentNames>().unwrap_or_default());
    let messages = StoredValue::new(use_context::<MessageNames>().unwrap_or_default());
    let trigger_line = Memo::new(move |_| {
        g.with(|g| {
            g.trigger.as_ref().map(trigger_summary).or_else(|| {
                g.entry
                    .as_ref()
                    .map(|e| names.with_value(|n| entry_summary(e, n)))
            })
        })
    });
    // The canvas's size on screen (its CSS width follows the window); the
    // nominal size before it is drawn.
    let stage = NodeRef::<leptos::html::Div>::new();
    let view_size = move || {
        stage.get_untracked().map_or((VIEW_W, VIEW_H), |el| {
            let (w, h) = (f64::from(el.client_width()), f64::from(el.client_height()));
            if w > 0.0 && h > 0.0 {
                (w, h)
            } else {
                (VIEW_W, VIEW_H)
            }
        })
    };
    let view_center = move || {
        let (px, py) = pan.get_untracked();
        let z = zoom.get_untracked();
        let (vw, vh) = view_size();
        CanvasPoint {
            x: (vw / 2.0 - px) / z - NODE_W / 2.0,
            y: (vh / 2.0 - py) / z - 40.0,
        }
    };
    let zoom_by = move |f: f64| {
        let z0 = zoom.get_untracked();
        let z = (z0 * f).clamp(0.3, 2.0);
        // Keep the centre of the view where it is.
        let (px, py) = pan.get_untracked();
        let (vw, vh) = view_size();
        let (cx, cy) = (vw / 2.0, vh / 2.0);
        pan.set((cx - (cx - px) * z / z0, cy - (cy - py) * z / z0));
        zoom.set(z);
    };
    let fit = move || {
        let Some((x0, y0, x1, y1)) = bounds(&g.get_untracked()) else {
            return;
        };
        let (vw, vh) = view_size();
        let z = ((vw - 40.0) / (x1 - x0))
            .min((vh - 40.0) / (y1 - y0))
            .clamp(0.3, 1.2);
        zoom.set(z);
        pan.set((20.0 - x0 * z, 20.0 - y0 * z));
    };
    // Show every step when the canvas opens (in the browser, after hydration).
    Effect::new(move |prev: Option<()>| {
        if prev.is_none() {
            fit();
        }
    });
    let problem_nodes = Memo::new(move |_| {
        problems.with(|ps| {
            ps.iter()
                .filter_map(|p| p.node.clone())
                .collect::<BTreeSet<String>>()
        })
    });

    let on_move = move |ev: leptos::ev::PointerEvent| {
        let (cx, cy) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let z = zoom.get_untracked();
        let Some(d) = drag.get_value() else {
            return;
        };
        match d {
            Drag::Pan { from, pan: p0 } => pan.set((p0.0 + cx - from.0, p0.1 + cy - from.1)),
            Drag::Nodes {
                from, start, moved, ..
            } => {
                let (dx, dy) = ((cx - from.0) / z, (cy - from.1) / z);
                if !moved {
                    if dx.abs() + dy.abs() < 2.0 {
                        return;
                    }
                    editor.remember();
                    drag.set_value(Some(Drag::Nodes {
                        from,
                        start: start.clone(),
                        moved: true,
                    }));
                }
                editor.nudge(|g| {
                    for (id, p) in &start {
                        if let Some(n) = g.nodes.iter_mut().find(|n| n.id == *id) {
                            n.position = CanvasPoint {
                                x: (p.x + dx).round(),
                                y: (p.y + dy).round(),
                            };
                        }
                    }
                });
            }
            Drag::Connect {
                source,
                port,
                from,
                at,
                ..
            } => {
                let end = CanvasPoint {
                    x: at.x + (cx - from.0) / z,
                    y: at.y + (cy - from.1) / z,
                };
                linking.set(Some((at, end)));
                drag.set_value(Some(Drag::Connect {
                    source,
                    port,
                    from,
                    at,
                }));
            }
        }
    };
    let end_drag = move || {
        drag.set_value(None);
        linking.set(None);
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let ctrl = ev.ctrl_key() || ev.meta_key();
        let step = if ev.shift_key() { 40.0 } else { 10.0 };
        let handled = match (ctrl, ev.key().as_str()) {
            (_, "Delete" | "Backspace") => {
                editor.delete_selection();
                true
            }
            (true, "z" | "Z") if ev.shift_key() => {
                editor.redo();
                true
            }
            (true, "z") => {
                editor.undo();
                true
            }
            (true, "y") => {
                editor.redo();
                true
            }
            (true, "c") => {
                editor.copy();
                true
            }
            (true, "v") => {
                editor.paste();
                true
            }
            (true, "a") => {
                editor
                    .selected
                    .set(g.with_untracked(|g| g.nodes.iter().map(|n| n.id.clone()).collect()));
                true
            }
            (false, "ArrowLeft") => {
                editor.move_selection(-step, 0.0);
                true
            }
            (false, "ArrowRight") => {
                editor.move_selection(step, 0.0);
                true
            }
            (false, "ArrowUp") => {
                editor.move_selection(0.0, -step);
                true
            }
            (false, "ArrowDown") => {
                editor.move_selection(0.0, step);
                true
            }
            (false, "Escape") => {
                editor.selected.set(BTreeSet::new());
                editor.selected_edge.set(None);
                true
            }
            (false, "+" | "=") => {
                zoom_by(1.2);
                true
            }
            (false, "-") => {
                zoom_by(1.0 / 1.2);
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    };

    let node_ids = move || g.with(|g| g.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>());
    let edges = move || {
        g.with(|g| {
            g.edges
                .iter()
                .filter_map(|e| {
                    let s = g.node(&e.source)?;
                    let t = g.node(&e.target)?;
                    let i = s.kind.ports().iter().position(|p| *p == e.port)?;
                    let a = port_at(s, i);
                    let b = CanvasPoint {
                        x: t.position.x,
                        y: t.position.y + HEAD / 2.0,
                    };
                    Some((
                        e.source.clone(),
                        e.port.clone(),
                        e.target.clone(),
                        edge_path(a, b),
                    ))
                })
                .collect::<Vec<_>>()
        })
    };

    let node_view = move |id: String| {
        let nid = id.clone();
        let node = Memo::new(move |_| g.with(|g| g.node(&nid).cloned()));
        let sel_id = id.clone();
        let selected = move || editor.selected.with(|s| s.contains(&sel_id));
        let bad_id = id.clone();
        let bad = move || problem_nodes.with(|p| p.contains(&bad_id));
        let cur_id = id.clone();
        let is_current = move || current.with(|c| c.as_deref() == Some(cur_id.as_str()));
        let down_id = id.clone();
        let on_down = move |ev: leptos::ev::PointerEvent| {
            ev.stop_propagation();
            if ev.button() != 0 {
                return;
            }
            let id = down_id.clone();
            editor.selected_edge.set(None);
            if ev.shift_key() {
                editor.selected.update(|s| {
                    if !s.remove(&id) {
                        s.insert(id.clone());
                    }
                });
            } else if !editor.selected.with_untracked(|s| s.contains(&id)) {
                editor.selected.set(BTreeSet::from([id.clone()]));
            }
            let sel = editor.selected.get_untracked();
            let start = g.with_untracked(|g| {
                g.nodes
                    .iter()
                    .filter(|n| sel.contains(&n.id))
                    .map(|n| (n.id.clone(), n.position))
                    .collect()
            });
            drag.set_value(Some(Drag::Nodes {
                from: (f64::from(ev.client_x()), f64::from(ev.client_y())),
                start,
                moved: false,
            }));
        };
        let up_id = id.clone();
        let on_up = move |_| {
            if let Some(Drag::Connect { source, port, .. }) = drag.get_value() {
                if source != up_id || port.is_empty() {
                    editor.connect(&source, &port, &up_id);
                }
            }
        };
        let badge_id = id.clone();
        let badge = move || badges.with(|b| b.get(&badge_id).cloned());
        move || {
            node.get().map(|n| {
                let h = node_height(&n.kind);
                let ports = n.kind.ports();
                let kind = n.kind.clone();
                let id = n.id.clone();
                let on_down = on_down.clone();
                let on_up = on_up.clone();
                let selected = selected.clone();
                let bad = bad.clone();
                let is_current = is_current.clone();
                let badge = badge.clone();
                view! {
                    <g class="fc-node" data-testid="flow-node" data-node=id.clone() data-type=kind.type_name()
                        transform=format!("translate({},{})", n.position.x, n.position.y)
                        class:selected=selected class:bad=bad class:current=is_current
                        on:pointerdown=on_down on:pointerup=on_up>
                        <rect class="fc-box" width=NODE_W height=h rx="8"/>
                        <rect class=format!("fc-head fc-{}", kind.type_name()) width=NODE_W height=HEAD rx="8"/>
                        <text class="fc-title" x="10" y="17">{kind.label()}</text>
                        <text class="fc-id" x=NODE_W - 8.0 y="17" text-anchor="end">{id.clone()}</text>
                        <text class="fc-summary" x="10" y=HEAD + 15.0>{if kind == NodeKind::Start {
                            (move || trigger_line.get().unwrap_or_else(|| summary(&NodeKind::Start))).into_any()
                        } else if let NodeKind::SendInApp { message_id } = kind {
                            messages.with_value(|m| message_line(message_id, m)).into_any()
                        } else {
                            summary(&kind).into_any()
                        }}</text>
                        {(kind != NodeKind::Start).then(|| view! {
                            <circle class="fc-in" cx="0" cy=HEAD / 2.0 r="5"/>
                        })}
                        {ports.into_iter().enumerate().map(|(i, p)| {
                            let y = HEAD + BODY + ROW * i as f64 + ROW / 2.0;
                            let label = crate::types::port_label(&kind, &p);
                            let (src, port) = (id.clone(), p.clone());
                            let start_port = n.clone();
                            view! {
                                <text class="fc-port-label" x=NODE_W - 14.0 y=y + 4.0 text-anchor="end">{label}</text>
                                <circle class="fc-port" data-testid="flow-port" data-port=p.clone() cx=NODE_W cy=y r="6"
                                    on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                                        ev.stop_propagation();
                                        let at = port_at(&start_port, i);
                                        drag.set_value(Some(Drag::Connect {
                                            source: src.clone(),
                                            port: port.clone(),
                                            from: (f64::from(ev.client_x()), f64::from(ev.client_y())),
                                            at,
                                        }));
                                        linking.set(Some((at, at)));
                                    }/>
                            }
                        }).collect_view()}
                        {move || badge().map(|b| view! {
                            <text class="fc-badge" data-testid="flow-node-stats" x="0" y=h + 14.0>{b}</text>
                        })}
                    </g>
                }
            })
        }
    };

    let minimap = move || {
        let gr = g.get();
        let Some((x0, y0, x1, y1)) = bounds(&gr) else {
            return ().into_any();
        };
        let (px, py) = pan.get();
        let z = zoom.get();
        // The visible part of the canvas, in canvas units.
        let (sw, sh) = view_size();
        let (vx, vy, vw, vh) = (-px / z, -py / z, sw / z, sh / z);
        let (mx0, my0) = (x0.min(vx), y0.min(vy));
        let (mx1, my1) = (x1.max(vx + vw), y1.max(vy + vh));
        let s = (MINI_W / (mx1 - mx0)).min(MINI_H / (my1 - my0));
        view! {
            <svg class="fc-minimap" data-testid="flow-minimap" width=MINI_W height=MINI_H
                on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                    ev.stop_propagation();
                    // Centre the view on the clicked point.
                    let x = mx0 + f64::from(ev.offset_x()) / s;
                    let y = my0 + f64::from(ev.offset_y()) / s;
                    let (sw, sh) = view_size();
                    pan.set((sw / 2.0 - x * z, sh / 2.0 - y * z));
                }>
                {gr.nodes.iter().map(|n| view! {
                    <rect class="fc-mini-node" x=(n.position.x - mx0) * s y=(n.position.y - my0) * s
                        width=NODE_W * s height=node_height(&n.kind) * s/>
                }).collect_view()}
                <rect class="fc-mini-view" x=(vx - mx0) * s y=(vy - my0) * s width=vw * s height=vh * s/>
            </svg>
        }
        .into_any()
    };

    view! {
        <div class="fc">
            <div class="fc-toolbar" role="toolbar" aria-label="Canvas">
                <div class="fc-palette" data-testid="flow-palette">
                    {palette(editor.graph.with_untracked(FlowGraph::kind)).into_iter().map(|k| {
                        let label = k.label();
                        let t = k.type_name();
                        view! {
                            <button class="btn btn-small" data-testid="palette-item" data-type=t
                                title=format!("Add “{label}”")
                                on:click=move |_| { editor.add(k.clone(), view_center()); }>
                                {format!("+ {label}")}
                            </button>
                        }
                    }).collect_view()}
                </div>
                <div class="fc-tools">
                    <button class="btn btn-small" data-testid="flow-undo" title="Undo (Ctrl+Z)"
                        disabled=move || editor.depth.get().0 == 0 on:click=move |_| editor.undo()>"Undo"</button>
                    <button class="btn btn-small" data-testid="flow-redo" title="Redo (Ctrl+Y)"
                        disabled=move || editor.depth.get().1 == 0 on:click=move |_| editor.redo()>"Redo"</button>
                    <button class="btn btn-small" title="Copy (Ctrl+C)" on:click=move |_| editor.copy()>"Copy"</button>
                    <button class="btn btn-small" title="Paste (Ctrl+V)" on:click=move |_| editor.paste()>"Paste"</button>
                    <button class="btn btn-small" data-testid="flow-delete" title="Delete (Del)"
                        on:click=move |_| editor.delete_selection()>"Delete"</button>
                    <button class="btn btn-small" title="Zoom out (-)" on:click=move |_| zoom_by(1.0 / 1.2)>"−"</button>
                    <span class="fc-zoom" data-testid="flow-zoom">{move || format!("{:.0}%", zoom.get() * 100.0)}</span>
                    <button class="btn btn-small" title="Zoom in (+)" on:click=move |_| zoom_by(1.2)>"+"</button>
                    <button class="btn btn-small" title="Show every step" on:click=move |_| fit()>"Fit"</button>
                </div>
            </div>
            <div class="fc-stage" node_ref=stage>
                <svg class="fc-svg" data-testid="flow-canvas" tabindex="0" role="application"
                    aria-label="Flow canvas: drag steps to move them, drag from an exit to a step to connect, drag the background to pan"
                    on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                        if ev.button() != 0 {
                            return;
                        }
                        editor.selected.set(BTreeSet::new());
                        editor.selected_edge.set(None);
                        drag.set_value(Some(Drag::Pan {
                            from: (f64::from(ev.client_x()), f64::from(ev.client_y())),
                            pan: pan.get_untracked(),
                        }));
                    }
                    on:pointermove=on_move
                    on:pointerup=move |_| end_drag()
                    on:pointerleave=move |_| end_drag()
                    on:wheel=move |ev: leptos::ev::WheelEvent| {
                        ev.prevent_default();
                        zoom_by(if ev.delta_y() < 0.0 { 1.1 } else { 1.0 / 1.1 });
                    }
                    on:keydown=on_key>
                    <g transform=move || { let (x, y) = pan.get(); format!("translate({x:.1},{y:.1}) scale({:.3})", zoom.get()) }>
                        <For each=edges key=|e| e.clone() let:e>
                            {
                                let (s, p, t, d) = e;
                                let key = (s.clone(), p.clone());
                                let sel_key = key.clone();
                                view! {
                                    <path class="fc-edge" data-testid="flow-edge" data-source=s.clone() data-port=p.clone() data-target=t d=d
                                        class:selected=move || editor.selected_edge.with(|x| x.as_ref() == Some(&sel_key))
                                        on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                                            ev.stop_propagation();
                                            editor.selected.set(BTreeSet::new());
                                            editor.selected_edge.set(Some(key.clone()));
                                        }/>
                                }
                            }
                        </For>
                        {move || linking.get().map(|(a, b)| view! { <path class="fc-edge linking" d=edge_path(a, b)/> })}
                        <For each=node_ids key=|id| id.clone() let:id>
                            {node_view(id)}
                        </For>
                    </g>
                </svg>
                {minimap}
            </div>
        </div>
    }
}

/// The box around every node (none: no nodes).
fn bounds(g: &FlowGraph) -> Option<(f64, f64, f64, f64)> {
    let mut it = g.nodes.iter();
    let first = it.next()?;
    let mut b = (
        first.position.x,
        first.position.y,
        first.position.x + NODE_W,
        first.position.y + node_height(&first.kind),
    );
    for n in it {
        b.0 = b.0.min(n.position.x);
        b.1 = b.1.min(n.position.y);
        b.2 = b.2.max(n.position.x + NODE_W);
        b.3 = b.3.max(n.position.y + node_height(&n.kind));
    }
    Some(b)
}
