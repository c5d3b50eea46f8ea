from services.commitments.app import create_app
from shared.service import serve

serve("commitments", create_app)
