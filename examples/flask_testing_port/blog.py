"""The blog app: templates, flashed messages, redirects and a JSON API."""

from flask import (
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Post(db.Model):
    __tablename__ = "ftp_post"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(100), nullable=False)
    body = db.Column(db.Text, nullable=False, default="")


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dev", SQLALCHEMY_DATABASE_URI="sqlite://")
    app.config.update(config or {})
    db.init_app(app)

    @app.get("/")
    def index():
        posts = db.session.scalars(db.select(Post).order_by(Post.id)).all()
        return render_template("index.html", posts=posts, title="All posts")

    @app.route("/posts/new", methods=["GET", "POST"])
    def new_post():
        if request.method == "GET":
            return render_template("new.html", title="New post")
        title = request.form.get("title", "").strip()
        if not title:
            flash("Title is required", "error")
            return render_template("new.html", title="New post"), 400
        post = Post(title=title, body=request.form.get("body", ""))
        db.session.add(post)
        db.session.commit()
        flash("Post created", "success")
        return redirect(url_for("show_post", post_id=post.id))

    @app.get("/posts/<int:post_id>")
    def show_post(post_id):
        post = db.get_or_404(Post, post_id)
        return render_template("show.html", post=post, title=post.title)

    @app.post("/login")
    def login():
        session["admin"] = True
        flash("Welcome back")
        return redirect(url_for("index"))

    @app.post("/posts/<int:post_id>/delete")
    def delete_post(post_id):
        if not session.get("admin"):
            abort(403)
        db.session.delete(db.get_or_404(Post, post_id))
        db.session.commit()
        flash("Post deleted")
        return redirect(url_for("index"))

    @app.route("/api/posts", methods=["GET", "POST"])
    def api_posts():
        if request.method == "GET":
            posts = db.session.scalars(db.select(Post).order_by(Post.id))
            return jsonify([{"id": post.id, "title": post.title} for post in posts])
        data = request.get_json(silent=True) or {}
        if not data.get("title"):
            return jsonify(error="title is required"), 400
        post = Post(title=data["title"], body=data.get("body", ""))
        db.session.add(post)
        db.session.commit()
        return jsonify(id=post.id, title=post.title), 201

    @app.get("/api/posts/<int:post_id>")
    def api_post(post_id):
        post = db.session.get(Post, post_id)
        if post is None:
            return jsonify(error="not found"), 404
        return jsonify(id=post.id, title=post.title, body=post.body)

    return app
